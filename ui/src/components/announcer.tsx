/**
 * A polite live region: pages announce what changed (a run finished) so a
 * screen reader hears it without moving focus. Announcements close together
 * are joined so they are read once.
 */
import { signal } from "@preact/signals";

const message = signal("");
let queue: string[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

export function announce(text: string): void {
  queue.push(text);
  timer ??= setTimeout(() => {
    timer = undefined;
    // More than a few at once is noise: say how many instead.
    const texts = queue.length > 3 ? [...queue.slice(0, 2), `and ${queue.length - 2} more changes`] : queue;
    queue = [];
    message.value = texts.join(". ");
  }, 1000);
}

export function LiveRegion() {
  return (
    <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
      {message.value}
    </div>
  );
}
