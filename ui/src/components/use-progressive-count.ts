/**
 * How many items of a long list to render now: the first screenful at once,
 * then the rest a slice per task, so a thousand rows never block the page
 * in one long task (the page answers clicks and keys in between).
 */
import { useEffect, useState } from "preact/hooks";

export function useProgressiveCount(total: number, first = 40, step = 150): number {
  const [count, setCount] = useState(first);
  useEffect(() => {
    if (count >= total) return;
    // A macrotask, not a frame: hidden tabs get no frames, and the browser may paint in between.
    const timer = setTimeout(() => setCount((shown) => shown + step), 0);
    return () => clearTimeout(timer);
  }, [count, total]);
  return Math.min(count, total);
}
