/**
 * Calls back once when an element first comes near the viewport: rows of a
 * long list fetch what they show only when someone may look at them. One
 * IntersectionObserver serves every element.
 */
import type { RefObject } from "preact";
import { useEffect } from "preact/hooks";

const callbacks = new WeakMap<Element, () => void>();
let observer: IntersectionObserver | undefined;

function shared(): IntersectionObserver {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const callback = callbacks.get(entry.target);
        callbacks.delete(entry.target);
        observer!.unobserve(entry.target);
        callback?.();
      }
    },
    // A screen's height ahead, so rows are filled before they scroll in.
    { rootMargin: "100% 0px" },
  );
  return observer;
}

export function useFirstVisible(ref: RefObject<Element | null>, onVisible: () => void, enabled = true): void {
  useEffect(() => {
    const element = ref.current;
    if (!element || !enabled) return;
    callbacks.set(element, onVisible);
    shared().observe(element);
    return () => {
      callbacks.delete(element);
      shared().unobserve(element);
    };
  }, [enabled]);
}
