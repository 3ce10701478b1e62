/**
 * Engines sharing a store serve each other's runs: what this engine's
 * attempts leave in its data folder (their logs, their artifacts) is copied
 * into the shared store, so that any engine can serve it, also once this
 * one is gone.
 *
 * Every state change this engine records about its runs passes through the
 * store recordingStore() gives, and what must be there before the change is
 * seen is done before it is written (write-ahead, as for the state itself):
 *
 * - an attempt's end: the rest of its log and its artifact folder are
 *   copied first, so whoever sees the end (any engine's follower, a
 *   `spire logs` through any engine) finds them whole;
 * - a task kept by a retry: its log and artifacts are copied under the new
 *   run, server-side, from the run it came from (retention may remove that one);
 * - an attempt started (or taken up again after a restart): its log is
 *   followed from then on, a few times a second (log-shipper.ts); also when
 *   a new run's first attempts start with its creation (createPlacedRun).
 *
 * A copy that fails is said and never keeps a result from being recorded.
 */
import { resolve } from "node:path";
import { attemptLog, type AttemptLog } from "../../logs/port.js";
import type { StateChange, Store, TaskRunRow } from "../../store/port.js";
import type { SharedStore } from "../../store/shared-port.js";
import { isInside } from "../../files/folder-files.js";
import { LogShipper } from "./log-shipper.js";
import { shareTaskArtifacts } from "./artifact-copies.js";

const UNDER_WAY = new Set(["pending", "running"]);

export interface AttemptSharingDeps {
  store: Store;
  shared: SharedStore;
  dataDir: string;
  warn(message: string, details: object): void;
}

export class AttemptSharing {
  private readonly shipper: LogShipper;
  private readonly dataDir: string;
  private recording: Store | undefined;

  constructor(private readonly deps: AttemptSharingDeps) {
    this.shipper = new LogShipper(deps.shared, deps.warn);
    this.dataDir = resolve(deps.dataDir);
  }

  /** The store, with its writes passing here first (see above); everything else as it is. */
  recordingStore(): Store {
    return (this.recording ??= this.wrap(this.deps.store));
  }

  private wrap(store: Store): Store {
    const write: Store["write"] = async (changes) => {
      await this.beforeRecording(changes);
      const events = await store.write(changes);
      this.recorded(changes);
      return events;
    };
    const shared = passingThrough(this.deps.shared, { createPlacedRun: this.placedRunCreation(this.deps.shared) });
    return passingThrough(store, { write, shared });
  }

  /**
   * A new run's creation that stores its start with it (UnstoredRun) records
   * that start as a write would. A start with work to do before it is
   * recorded (a retry's kept tasks, copied first) is left out: its caller
   * writes it once the run has its place (a run that waits would copy them
   * again when it starts).
   */
  private placedRunCreation(shared: SharedStore): SharedStore["createPlacedRun"] {
    return async (run, event, creation, concurrency, start) => {
      const held = start?.some(({ event, task }) => task !== undefined && workBefore(event.type, task)) ? undefined : start;
      const made = await shared.createPlacedRun(run, event, creation, concurrency, held);
      if (made.started && held) this.recorded(held);
      return made;
    };
  }

  /** The engine stops: no more following (an attempt that ends later is copied whole when its end is recorded). */
  close(): void {
    this.shipper.close();
  }

  private async beforeRecording(changes: readonly StateChange[]): Promise<void> {
    const work: Promise<void>[] = [];
    for (const { event, task } of changes) {
      if (!task || !workBefore(event.type, task)) continue;
      if (event.type === "task.kept") work.push(this.copyKept(task, event.data));
      else work.push(this.shareEnded(task));
    }
    await Promise.all(work);
  }

  private recorded(changes: readonly StateChange[]): void {
    for (const { event, task } of changes) {
      const log = task && attemptLog(task);
      if (event.type === "task.started" && task?.state === "running" && log && this.isMine(log)) this.shipper.follow(log);
      if (event.type === "run.resumed") void this.followRunning(event.run_id);
    }
  }

  private async shareEnded(task: TaskRunRow): Promise<void> {
    const log = attemptLog(task);
    if (log && this.isMine(log)) await this.shipper.finish(log);
    await shareTaskArtifacts(this.deps.shared, this.deps.dataDir, task.run_id, task.path).catch((error) =>
      this.deps.warn("a task's artifacts could not be copied to the shared store: other engines do not list them", { run: task.run_id, task: task.path, error: String(error) }),
    );
  }

  private async copyKept(task: TaskRunRow, data: Record<string, unknown>): Promise<void> {
    const fromRun = data.from_run;
    const fromAttempt = data.from_attempt;
    if (typeof fromRun !== "string" || typeof fromAttempt !== "number") return;
    try {
      await this.deps.shared.copyLog({ run_id: fromRun, path: task.path, attempt: fromAttempt }, { run_id: task.run_id, path: task.path, attempt: task.attempt });
      await this.deps.shared.copyArtifacts(fromRun, task.run_id, task.path);
      // Linked here from this engine's own copy (kept-logs.ts): what the shared one lacks (a run older than it) is sent from the file.
      const log = attemptLog(task);
      if (log && this.isMine(log)) await this.shipper.finish(log);
    } catch (error) {
      this.deps.warn("a kept task's log and artifacts could not be copied in the shared store", { run: task.run_id, task: task.path, from_run: fromRun, error: String(error) });
    }
  }

  /** A run taken up after a restart: its attempts still running are followed again, from what the copy holds. */
  private async followRunning(runId: string): Promise<void> {
    const stored = await this.deps.store.getRun(runId).catch(() => undefined);
    for (const task of stored?.tasks ?? []) {
      const log = task.state === "running" ? attemptLog(task) : undefined;
      if (log && this.isMine(log)) this.shipper.follow(log);
    }
  }

  /** This engine's attempt: its log is a file of its data folder. */
  private isMine(log: AttemptLog): boolean {
    return isInside(this.dataDir, resolve(log.log_file));
  }
}

/** A task's change that needs copies made before it is recorded: a retry's kept task, or an attempt's end. */
function workBefore(eventType: string, task: TaskRunRow): boolean {
  return eventType === "task.kept" || !UNDER_WAY.has(task.state);
}

/** `target` with `replaced` in place of some of its members, everything else as it is. */
function passingThrough<T extends object>(target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get(inner, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof T];
      const value: unknown = Reflect.get(inner, key);
      return typeof value === "function" ? value.bind(inner) : value;
    },
  });
}
