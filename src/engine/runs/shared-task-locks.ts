/**
 * A task's own `locks:` across the engines sharing the store (PostgreSQL).
 * An attempt first takes its units in this engine's lock table, with its
 * slot (Slots: the engine's own runs and tasks); then, before it starts,
 * in the store, where they count beside the units the runs and tasks of
 * every engine hold (SharedStore.takeTaskLocks, under the same advisory
 * lock as a whole run's locks). While another engine holds them it waits,
 * keeping its slot: it looks again when the store says locks were given
 * back (a NOTIFY, as a run's end gives its place back) and every
 * PLACES_POLL_MS in case that hint was lost.
 *
 * Nothing here gives units back: the store does, in the transaction that
 * records the attempt's end (or the run's, or the run's move to another
 * engine that rescues it). One engine alone (SQLite) has no store to ask:
 * its lock table is the whole truth.
 */
import type { PlaceHints } from "../../cluster/port.js";
import type { SharedStore, TaskLockHolder } from "../../store/shared-port.js";
import type { EngineLogger } from "../engine.js";
import type { TaskRequest } from "../resources/reservations.js";
import { PLACES_POLL_MS } from "./cluster-queues.js";

export interface SharedTaskLocksDeps {
  shared: SharedStore;
  hints?: PlaceHints | undefined;
  logger: EngineLogger;
}

export class SharedTaskLocks {
  /** Wakes each attempt waiting for units held elsewhere (once: it listens again before its next look). */
  private readonly waiters = new Set<() => void>();
  private unlisten: (() => void) | undefined;

  constructor(private readonly deps: SharedTaskLocksDeps) {}

  /** The attempt's units, taken in the store once they are free there; "gone": the run is no longer this engine's; "stopped": `signal` ended the wait. */
  async take(holder: TaskLockHolder, request: TaskRequest, signal: AbortSignal, onWait?: (reason: string) => void): Promise<"taken" | "gone" | "stopped"> {
    const locks = unitsOf(request);
    for (let look = 0; ; look++) {
      if (signal.aborted) return "stopped";
      // Listening before the look: locks given back while it is under way are not missed.
      const woken = this.nextWake(signal);
      const outcome = await this.deps.shared.takeTaskLocks(holder, locks, false).catch((error: Error) => {
        this.deps.logger.warn({ run: holder.run_id, task: holder.task, error: error.message }, "the task's locks could not be taken in the store: it tries again within two seconds");
        return "busy" as const;
      });
      if (outcome !== "busy") {
        woken.cancel();
        return outcome;
      }
      // Said once: whoever follows the run sees why a task with a slot has not started.
      if (look === 0) onWait?.(`waiting for its locks (${locks.map(({ name, count }) => (count === 1 ? name : `${name} × ${count}`)).join(", ")}): held by runs of other engines`);
      await woken.promise;
    }
  }

  /** An attempt already running (adopted after a restart) holds its units again, whatever else holds them. */
  async hold(holder: TaskLockHolder, request: TaskRequest): Promise<void> {
    try {
      await this.deps.shared.takeTaskLocks(holder, unitsOf(request), true);
    } catch (error) {
      // It runs all the same (it cannot wait); its units are uncounted on the other engines until it ends.
      this.deps.logger.warn({ run: holder.run_id, task: holder.task, error: (error as Error).message }, "the running task's locks could not be recorded for the other engines");
    }
  }

  /** Resolves at the first of: locks given back somewhere (a hint), PLACES_POLL_MS, the signal. */
  private nextWake(signal: AbortSignal): { promise: Promise<void>; cancel(): void } {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => (resolve = done));
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", wake);
      this.waiters.delete(wake);
      if (this.waiters.size === 0) this.listen(false);
      resolve();
    };
    const timer = setTimeout(wake, PLACES_POLL_MS);
    signal.addEventListener("abort", wake);
    this.waiters.add(wake);
    this.listen(true);
    return { promise, cancel: wake };
  }

  /** Hears the store's hints only while some attempt waits. An empty one says locks were given back (or hints may have been missed). */
  private listen(on: boolean): void {
    if (on && !this.unlisten) {
      this.unlisten = this.deps.hints?.listen((pipeline) => {
        if (pipeline === "") for (const wake of [...this.waiters]) wake();
      });
    } else if (!on && this.unlisten) {
      this.unlisten();
      this.unlisten = undefined;
    }
  }
}

/** One run's attempts waiting for their units in the store: a stop of the run ends every wait. */
export class TaskLockWaits {
  private readonly aborts = new Set<AbortController>();

  /** `runStored`: resolves once the run's start is stored, which the store's lock units are counted against (a new run may not be stored yet: UnstoredRun). */
  constructor(
    private readonly locks: SharedTaskLocks | undefined,
    private readonly runId: string,
    private readonly runStored: () => Promise<void>,
  ) {}

  /** Whether an attempt asking this takes units in the store too (it has locks, and there is a store to share). Asked first: an attempt without waits on nothing, not even a tick. */
  wanted(request: TaskRequest | undefined): request is TaskRequest {
    return this.locks !== undefined && request !== undefined && request.locks.length > 0;
  }

  /** Undefined once the attempt holds its units in the store too: else why it does not start. */
  async take(task: string, attempt: number, request: TaskRequest, onWait?: (reason: string) => void): Promise<string | undefined> {
    if (!this.locks) return undefined;
    try {
      await this.runStored();
    } catch {
      return "the run did not start";
    }
    const abort = new AbortController();
    this.aborts.add(abort);
    try {
      const outcome = await this.locks.take({ run_id: this.runId, task, attempt }, request, abort.signal, onWait);
      if (outcome === "taken") return undefined;
      return outcome === "gone" ? "the run ended, or went on in another engine, while the task waited for its locks" : "the run stopped while the task waited for its locks";
    } finally {
      this.aborts.delete(abort);
    }
  }

  /** An attempt adopted after a restart: it runs, so it holds its units in the store again. */
  hold(task: string, attempt: number, request: TaskRequest): void {
    if (this.locks && request.locks.length > 0) void this.locks.hold({ run_id: this.runId, task, attempt }, request);
  }

  stopAll(): void {
    for (const abort of this.aborts) abort.abort();
  }
}

function unitsOf(request: TaskRequest): { name: string; count: number; capacity: number }[] {
  return request.locks.map(({ name, count }) => ({ name, count, capacity: request.capacityOf(name) }));
}
