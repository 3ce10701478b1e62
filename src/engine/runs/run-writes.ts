/**
 * A run's writes, its start first. The run's start is not written alone but
 * with the first change its controller writes next (its first task's start,
 * asked for in the same turn): one write, one transaction, one round trip
 * less before the first spawn. Nothing of the run is stored before its
 * start, whatever stands between a write and the store (the store used by
 * engines that share one holds some writes back while it copies logs:
 * attempt-sharing.ts): a write asked for before the start is stored waits
 * for it.
 *
 * A new run not stored yet (UnstoredRun) is stored by that first write,
 * with its start if it takes its place at once; if it does not, the write
 * fails with RunNotStartedYet and the run's controller steps back.
 */
import type { EventRow, StateChange, Store } from "../../store/port.js";
import { RunNotStartedYet, type UnstoredRun } from "./unstored-run.js";

/** While a write that must come first is on its way, how often the store is asked whether it waits for room. */
const ROOM_CHECK_MS = 250;

export class RunWrites {
  private startChanges: StateChange[] | undefined;
  private startMade: Promise<void> | undefined;
  private madeStart: (() => void) | undefined;
  private started: Promise<unknown> = Promise.resolve();
  private readonly failures = new WeakSet<object>();
  private pending = 0;

  /** `publish`: told of every write's events once they are stored; `unstored`: the run, when its first write stores it. */
  constructor(
    private readonly store: Pick<Store, "write" | "waitsForRoom">,
    private readonly publish?: (events: EventRow[]) => void,
    private unstored?: UnstoredRun,
  ) {}

  /**
   * The run's start is being made by `making` (a retry's kept tasks are
   * brought in first): a write asked for meanwhile (a cancel's
   * `run.stopping`) waits for the start, and is stored with it or after it,
   * never before.
   */
  startAfter<T>(making: Promise<T>): Promise<T> {
    const made = new Promise<void>((resolve) => (this.madeStart = resolve));
    this.startMade = made;
    // Not made (its controller fails): what waits for it goes on, as it would have without it.
    making.catch(() => {
      if (this.startMade !== made) return;
      this.madeStart!();
      this.startMade = undefined;
    });
    return making;
  }

  /** The run's start, to be stored with the next write. */
  start(changes: StateChange[]): void {
    this.startChanges = changes;
    this.madeStart?.();
    this.startMade = undefined;
  }

  /** Resolves once the start is stored: written alone now if no write took it along. */
  async startStored(): Promise<void> {
    if (this.startChanges) void this.write([]).catch(() => {});
    await this.started;
  }

  async write(changes: StateChange[]): Promise<EventRow[]> {
    if (this.startMade) await this.startMade;
    const start = this.startChanges;
    this.startChanges = undefined;
    const unstored = this.unstored;
    this.unstored = undefined;
    if (unstored) return (this.started = this.created(unstored, [...(start ?? []), ...changes]));
    if (start) return (this.started = this.stored([...start, ...changes]));
    await this.started;
    return this.stored(changes);
  }

  /**
   * Resolves once `changes` are stored, or once they wait for room (the disk
   * is full: that may be long), looked at now and every ROOM_CHECK_MS.
   */
  storedOrWaiting(changes: StateChange[]): Promise<unknown> {
    const written = this.write(changes);
    const waitsForRoom = this.store.waitsForRoom?.bind(this.store);
    if (!waitsForRoom) return written;
    if (waitsForRoom()) {
      written.catch(() => {}); // heard by no one: the caller goes on without it
      return Promise.resolve();
    }
    let timer: NodeJS.Timeout | undefined;
    const waiting = new Promise<void>((resolve) => (timer = setInterval(() => waitsForRoom() && resolve(), ROOM_CHECK_MS).unref()));
    void written.finally(() => clearInterval(timer)).catch(() => {});
    return Promise.race([written, waiting]);
  }

  /** Whether `error` is one a write of the store gave: the run's controller then leaves the run to the engine's next start. */
  gave(error: unknown): boolean {
    return error instanceof Object && this.failures.has(error);
  }

  private async stored(changes: StateChange[]): Promise<EventRow[]> {
    const events = await this.storing(() => this.store.write(changes));
    this.publish?.(events);
    return events;
  }

  /** The run stored by its first write: `changes` are stored only if it started (its `run.created` is told first either way). */
  private async created(unstored: UnstoredRun, changes: StateChange[]): Promise<EventRow[]> {
    const made = await this.storing(() => unstored.storeWith(changes));
    this.publish?.([made.created, ...(made.started ?? [])]);
    if (made.started) return made.started;
    // Not a fault: the store has the run, queued, and its queue starts it. Nothing of this controller's is written any more.
    const notStarted = new RunNotStartedYet(made.created.run_id);
    this.failures.add(notStarted);
    throw notStarted;
  }

  private async storing<T>(write: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await write();
    } catch (error) {
      if (error instanceof Object) this.failures.add(error);
      throw error;
    } finally {
      this.pending--;
    }
  }

  /** Writes asked for and not yet answered. */
  get inFlight(): number {
    return this.pending;
  }
}
