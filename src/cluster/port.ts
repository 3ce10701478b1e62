/**
 * What the engine asks of the engines it shares a store with: whether it
 * leads the scheduling now. One engine alone (SQLite) needs none of this.
 */
export interface SchedulingLeadership {
  /** Starts competing for the lead; `changed` is told each time this engine starts or stops leading. */
  start(changed: (leading: boolean) => void): void;
  /** Whether this engine leads at this moment (also by its own clock: a lease that may have lapsed does not count). */
  readonly leading: boolean;
  /** Stops competing, handing the lead over at once if it held it. */
  stop(): Promise<void>;
}
