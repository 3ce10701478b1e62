/**
 * Calls `measure` with a scrolling element now, then at most once a frame
 * while it scrolls or changes size: what a view that draws only what is in
 * sight (the graph, the timeline) needs to know. With `waitForLayout`, the
 * very first call waits for the element's first layout (the ResizeObserver's
 * first report): reading its size in the task that drew it would lay out
 * all it holds in that task.
 */
import type { RefObject } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

export function useScrollView(ref: RefObject<HTMLElement | null>, measure: (element: HTMLElement) => void, deps: unknown[], waitForLayout = false): void {
  const measured = useRef(false);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    let frame = 0;
    const run = () => {
      frame = 0;
      measured.current = true;
      measure(element);
    };
    const onChange = () => {
      frame ||= requestAnimationFrame(run);
    };
    if (measured.current || !waitForLayout) run();
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
