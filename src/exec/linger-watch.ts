/**
 * One timer for all attempts whose leader has exited but whose output pipes
 * are still open. Usually the pipes close a moment later; when they do not,
 * something outside the process group holds them (a descendant that called
 * setsid and kept stdout) and the attempt is asked to find and end it.
 *
 * Shared, so that a normal task costs no timer of its own.
 */
export interface Lingerer {
  /** Called on each tick while the attempt lingers. */
  onLinger(): void;
}

const TICK_MS = 100;

export class LingerWatch {
  readonly #lingering = new Set<Lingerer>();
  #timer: NodeJS.Timeout | undefined;

  watch(attempt: Lingerer): void {
    this.#lingering.add(attempt);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), TICK_MS);
      this.#timer.unref(); // the open pipes keep the process alive; this timer need not
    }
  }

  unwatch(attempt: Lingerer): void {
    this.#lingering.delete(attempt);
    if (this.#lingering.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    for (const attempt of this.#lingering) attempt.onLinger();
  }
}
