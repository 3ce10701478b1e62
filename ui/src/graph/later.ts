/**
 * Work put off to a task of its own, so that no single task of the page
 * grows long (issue 14: no main-thread task over 100 ms). A Preact state set
 * from such a callback renders in that same task, before the next one.
 */

/** `run` in a task of its own, as soon as the page's own tasks let it; returns a cancel. */
export function nextTask(run: () => void): () => void {
  const timer = setTimeout(run, 0);
  return () => clearTimeout(timer);
}

/** `run` when the page is idle (after the next frame is painted), at the latest after `timeout` ms; returns a cancel. */
export function whenIdle(run: () => void, timeout = 300): () => void {
  if (typeof requestIdleCallback === "function") {
    const id = requestIdleCallback(() => run(), { timeout });
    return () => cancelIdleCallback(id);
  }
  // Safari: after the next frame.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const frame = requestAnimationFrame(() => (timer = setTimeout(run, 0)));
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}
