/**
 * What engines sharing one store keep there for each other, beside the
 * records of the Store port: the bytes of task logs and artifacts (each
 * engine writes them to its own data folder first, and copies them here so
 * that any engine can serve any run, even once the one that ran it is
 * gone), and the requests one engine makes of the engine that runs a run
 * (cancel it). One engine alone (SQLite) has none of this: Store.shared is
 * then absent, and everything is read from the data folder.
 */

import type { EventRow, MissedRow, RunCreation, RunRow, StateChange } from "./port.js";

/** One attempt of one task: the key of its log. */
export interface AttemptKey {
  run_id: string;
  path: string;
  attempt: number;
}

/** A file of a task's artifact folder, as it is copied into the shared store. */
export interface ArtifactUpload {
  /** Relative to the task's folder, `/` between parts. */
  name: string;
  size: number;
  /** The file's bytes, in order, as many as `size`; asked again if the copy has to start over. */
  read(): AsyncIterable<Buffer>;
}

export interface SharedArtifact {
  task: string;
  name: string;
  size: number;
}

/** What a decision about a task's artifact room says: the bytes the task will hold (reserved for it), and what the decider makes of it. */
export interface ArtifactRoom<T> {
  bytes: number;
  result: T;
}

/** An artifact found in the shared store, to be read chunk by chunk. */
export interface SharedArtifactBytes {
  size: number;
  /** Its bytes, in order; ends early with an error if the artifact was replaced or removed meanwhile. */
  read(): AsyncIterable<Buffer>;
}

export type RunRequestKind = "cancel";

/** What the engine that runs a run did with a request: it acted on it, or the run was not under way there. */
export type RunRequestOutcome = "done" | "not_running";

export interface RunRequest {
  id: number;
  run_id: string;
  kind: RunRequestKind;
  /** Said with the action (the cancel's reason). */
  reason: string;
  requested_by: string;
  requested_at: number;
}

/** A request as recorded: the engine it went to, and (once that engine took it) what came of it. */
export interface RunRequestState {
  id: number;
  /** The lasting id of the engine that owns the run (engine-id). */
  owner: string;
  outcome: RunRequestOutcome | null;
}

/** A run's place in its pipeline's queue, as every engine sees it: it counts as running, waits, or was replaced by a newer run. */
export type PlaceKind = "waiting" | "running" | "replaced";

/** What asking for a run's place at once gives: running, or busy (no room: it is decided over the whole queue). */
export type PlaceTaken = "running" | "busy";

/** A run of one pipeline, with where it stands. */
export interface QueuePlace {
  run_id: string;
  place: PlaceKind;
  partition: string | null;
  /** A replaced run: the newer run that took its waiting place. */
  replaced_by: string | null;
  /** Its engine is alive (or it is this engine's): a waiting run of a silent engine does not hold the queue up. */
  live: boolean;
}

/** A pipeline's queue across every engine, read while this engine holds it (see SharedStore.settlePlaces). */
export interface SharedQueue {
  /** Its admitted unfinished runs, in the order they were admitted. */
  places: QueuePlace[];
  /** Units held of each named lock asked for, by the running runs and tasks of every engine. */
  held: Record<string, number>;
}

/** A pipeline's queue, and the named locks whose units a decision about it reads (and may take). */
export interface QueueKey {
  namespace: string;
  pipeline: string;
  locks: readonly string[];
}

/** A run as it takes a place: its partition, and the units of named locks it holds while it runs. */
export interface PlaceOf {
  run_id: string;
  partition: string | null;
  locks: readonly { name: string; count: number }[];
}

/** What a decision writes before the queue is let go. */
export interface PlaceChange<T> {
  result: T;
  /** The run takes this place (with its locks' units, when running). */
  place?: PlaceOf & { place: "waiting" | "running" };
  /** A waiting run whose place `place.run_id` takes: it is marked replaced, and its engine told. */
  replaces?: string;
}

/** A task attempt holding units of named locks while it runs. */
export interface TaskLockHolder {
  run_id: string;
  task: string;
  attempt: number;
}

/** "taken": the units are the attempt's; "busy": some lock has too few free (nothing taken); "gone": the run has ended or is another engine's. */
export type TaskLockTake = "taken" | "busy" | "gone";

export interface SharedStore {
  // ── task logs: the bytes of each attempt's log file, appended in order ──

  /** Appends `bytes` at byte `offset` of the attempt's log (the size it has, as logSize says). */
  appendLog(key: AttemptKey, offset: number, bytes: Buffer): Promise<void>;
  /** Bytes of the attempt's log held (0: none). */
  logSize(key: AttemptKey): Promise<number>;
  /** At most `length` bytes from `position` (fewer at the end of what is held). */
  readLog(key: AttemptKey, position: number, length: number): Promise<Buffer>;
  /** The log of `from` becomes also the log of `to` (a retry keeping a task that passed). */
  copyLog(from: AttemptKey, to: AttemptKey): Promise<void>;

  // ── artifacts: the files of each task's artifact folder ──

  /**
   * The task's artifacts become `files` (written whole, in one transaction: a
   * reader sees the old set or the new). False, and nothing written, when
   * the run is no longer this engine's (another took it over).
   */
  replaceArtifacts(runId: string, task: string, files: readonly ArtifactUpload[]): Promise<boolean>;
  /** Every artifact of the run, by task, then name. */
  listArtifacts(runId: string): Promise<SharedArtifact[]>;
  openArtifact(runId: string, task: string, name: string): Promise<SharedArtifactBytes | undefined>;
  /** The artifacts of `fromRun`'s task become also those of `toRun`'s (a retry keeping a task that passed). */
  copyArtifacts(fromRun: string, toRun: string, task: string): Promise<void>;
  /**
   * Room for a task's artifacts under the run's limit (spire engine
   * --artifact-limit), decided for the run as a whole, whichever engines its
   * tasks and their workers' uploads go through. `decide` is given the bytes
   * the run's other tasks hold (their files here, or the room reserved for
   * one since, which stands for its files until replaceArtifacts or
   * copyArtifacts puts them here, or until the end of the attempt it was
   * decided for is recorded) and says how many this task will hold:
   * they are reserved for it, in place of what it held. Decisions about one
   * run are taken one at a time, each reading what the one before reserved,
   * so two engines cannot both take the run's last bytes. `decide` may be
   * called again (the transaction run again after a lost connection).
   * Undefined, and nothing reserved, when the run is gone or is no longer
   * this engine's (its copy would be refused too).
   */
  reserveArtifactRoom<T>(runId: string, task: string, decide: (others: number) => ArtifactRoom<T>): Promise<T | undefined>;

  // ── requests to the engine that runs a run ──

  /**
   * Records a request for the engine that owns a queued or running run, and
   * tells it (a hint; it also looks now and then). Undefined, and nothing
   * recorded, when the run has finished or is this engine's own or no one's.
   * A request of the same kind still waiting is not made twice.
   */
  requestRun(request: Omit<RunRequest, "id">): Promise<RunRequestState | undefined>;
  runRequest(id: number): Promise<RunRequestState | undefined>;
  /** Requests waiting for this engine: for runs it owns, not yet taken. */
  waitingRequests(): Promise<RunRequest[]>;
  /** Records what came of a request; false when another look took it first. */
  settleRequest(id: number, outcome: RunRequestOutcome, at: number): Promise<boolean>;

  // ── places in the pipelines' queues and units of named locks, across engines ──

  /**
   * The common admission in one statement: a run of a pipeline with fewer
   * than `concurrency` running and nobody waiting takes a running place.
   * "busy": it did not (decide with settlePlaces); "gone": the run has ended
   * or is another engine's.
   */
  takePlace(run: { run_id: string; namespace: string; pipeline: string; partition: string | null }, concurrency: number): Promise<PlaceTaken | "gone">;
  /**
   * Store.createRun, and the run's place as takePlace would give it, in the
   * same transaction: one commit fewer before a run that can start at once
   * starts. `place` absent: its queue was being decided elsewhere at that
   * instant and nothing was tried (ask takePlace).
   *
   * `start`, the run's own first changes (its start, its first tasks'), is
   * stored in the same transaction if the run takes a running place, so
   * that a run asked for is running after a single commit; `started` then
   * holds its events. A start the store cannot hold there is not stored:
   * `started` is absent beside a running place, and the caller writes it.
   */
  createPlacedRun(
    run: RunRow,
    event: Omit<EventRow, "seq">,
    creation: RunCreation | undefined,
    concurrency: number,
    start?: readonly StateChange[],
  ): Promise<{ created: EventRow; place?: PlaceTaken; started?: EventRow[] }>;
  /**
   * Holds the pipeline's queue (and the named locks of `key`) against every
   * other engine, reads it, and writes what `decide` returns before letting
   * it go. `decide` may be called more than once (the transaction is run
   * again after a lost connection): it must undo what it did the time before.
   * `placed` is false when the run has ended meanwhile (nothing was written).
   */
  settlePlaces<T>(key: QueueKey, decide: (queue: SharedQueue) => PlaceChange<T>): Promise<{ result: T; placed: boolean }>;
  /**
   * A run an earlier engine admitted goes on here: running (it holds its
   * place and its locks' units again, whatever else holds them), or waiting
   * again, at its old place in the queue (a replaced run stays replaced).
   */
  holdPlace(key: QueueKey, run: PlaceOf, place: "waiting" | "running"): Promise<void>;
  /**
   * A task attempt takes its units of each lock, all or none, if each has
   * them free beside what the runs and tasks of every engine hold (within
   * `capacity`); with `beyond`, whatever is held (an attempt already
   * running). They are given back by the store as the attempt's end is
   * recorded, or the run's, or when the run moves to another engine before
   * the attempt was recorded as running.
   */
  takeTaskLocks(holder: TaskLockHolder, locks: readonly { name: string; count: number; capacity: number }[], beyond: boolean): Promise<TaskLockTake>;
  /** Every unit of a named lock held now, by the running runs (task null) and task attempts of every engine. */
  listLockHolders(): Promise<SharedLockHolder[]>;

  // ── missed records, as every engine's event stream reads them ──

  /** Missed records after `afterSeq`, oldest first (of every engine: whichever recorded them tells the others). */
  missedSince(afterSeq: number, limit: number): Promise<MissedRow[]>;
  /** The newest missed record's seq (0: none yet). */
  latestMissedSeq(): Promise<number>;
}

export interface SharedLockHolder {
  name: string;
  run_id: string;
  /** Null: the whole run holds it (pipeline `locks:`). */
  task: string | null;
  count: number;
}
