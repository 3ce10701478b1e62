/**
 * The global parallelism limit: a counting semaphore shared by every run of
 * an engine. Waiters are called back in order when a slot frees up.
 */
export class Slots {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`parallelism must be at least 1, got ${capacity}`);
  }

  get inUse(): number {
    return this.used;
  }

  tryAcquire(): boolean {
    if (this.used >= this.capacity) return false;
    this.used++;
    return true;
  }

  /** Takes a slot even beyond capacity: for an attempt already running (adopted after a restart), which cannot wait. */
  take(): void {
    this.used++;
  }

  release(): void {
    if (this.used <= 0) throw new Error("Slots.release without acquire");
    this.used--;
    // Every waiter is woken and tries again: one woken waiter that no longer
    // needs the slot (its run was canceled) must not leave the others asleep.
    const waiting = this.waiters.splice(0);
    for (const wake of waiting) wake();
  }

  /** Calls `wake` once, the next time a slot is released (it must still tryAcquire, and may register again). */
  onFree(wake: () => void): void {
    this.waiters.push(wake);
  }
}
