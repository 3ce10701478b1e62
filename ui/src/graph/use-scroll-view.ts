/**
 * Calls `measure` with a scrolling element now, then at most once a frame
 * while it scrolls or changes size: what a view that draws only what is in
 * sight (the graph, the timeline) needs to know.
 */
import type { RefObject } from "preact";
import { useLayoutEffect } from "preact/hooks";

export function useScrollView(ref: RefObject<HTMLElement | null>, measure: (element: HTMLElement) => void, deps: unknown[]): void {
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    let frame = 0;
    const run = () => {
      frame = 0;
      measure(element);
    };
    const onChange = () => {
      frame ||= requestAnimationFrame(run);
    };
    run();
    element.addEventListener("scroll", onChange, { passive: true });
    const observer = new ResizeObserver(onChange);
    observer.observe(element);
    return () => {
      element.removeEventListener("scroll", onChange);
      observer.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, deps);
}
