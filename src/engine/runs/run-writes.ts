/**
 * A run's writes, its start first. The run's start is not written alone but
 * with the first change its controller writes next (its first task's start,
 * asked for in the same turn): one write, one transaction, one round trip
 * less before the first spawn. Nothing of the run is stored before its
 * start, whatever stands between a write and the store (the store used by
 * engines that share one holds some writes back while it copies logs:
 * attempt-sharing.ts): a write asked for before the start is stored waits
 * for it.
 */
import type { EventRow, StateChange, Store } from "../../store/port.js";

export class RunWrites {
  private startChanges: StateChange[] | undefined;
  private started: Promise<unknown> = Promise.resolve();
  private readonly failures = new WeakSet<object>();
  private pending = 0;

  /** `publish`: told of every write's events once they are stored. */
  constructor(
    private readonly store: Pick<Store, "write">,
    private readonly publish?: (events: EventRow[]) => void,
  ) {}

  /** The run's start, to be stored with the next write. */
  start(changes: StateChange[]): void {
    this.startChanges = changes;
  }

  /** Resolves once the start is stored: written alone now if no write took it along. */
  async startStored(): Promise<void> {
    if (this.startChanges) void this.write([]).catch(() => {});
    await this.started;
  }

  async write(changes: StateChange[]): Promise<EventRow[]> {
    const start = this.startChanges;
    this.startChanges = undefined;
    if (start) return (this.started = this.stored([...start, ...changes]));
    await this.started;
    return this.stored(changes);
  }

  /** Whether `error` is one a write of the store gave: the run's controller then leaves the run to the engine's next start. */
  gave(error: unknown): boolean {
    return error instanceof Object && this.failures.has(error);
  }

  private async stored(changes: StateChange[]): Promise<EventRow[]> {
    let events: EventRow[];
    this.pending++;
    try {
      events = await this.store.write(changes);
    } catch (error) {
      if (error instanceof Object) this.failures.add(error);
      throw error;
    } finally {
      this.pending--;
    }
    this.publish?.(events);
    return events;
  }

  /** Writes asked for and not yet answered. */
  get inFlight(): number {
    return this.pending;
  }
}
