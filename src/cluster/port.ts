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

/**
 * Definitions and paused states are changed through any engine, and each
 * engine keeps what fires in memory: a change through one is told to the
 * others, which read the store again. A hint (NOTIFY): each engine also
 * reads again after its listening connection comes back, and on taking
 * the lead.
 */
export interface DefinitionChanges {
  /** This engine changed definitions or paused states. */
  announce(): void;
  /** `changed` is told when another engine did. */
  listen(changed: () => void): void;
}

/**
 * The engines sharing a store, each alive by its heartbeat. The leader takes
 * over the unfinished runs of an engine silent too long; an engine that was
 * only slow learns of it at its next heartbeat and lets those runs go.
 */
export interface EngineRoster {
  /** How often this engine says it is alive. */
  readonly heartbeatEveryMs: number;
  /**
   * Heartbeats from now on; `takenOver` is told when some of this engine's runs went to another (it was
   * silent too long), `lostTouch` when its heartbeats have failed for so long that a take-over may come.
   */
  start(takenOver: () => void, lostTouch: (silentForMs: number) => void, beaten?: () => void): void;
  /** What each heartbeat says of this engine's connected workers: their label sets (so that others hand it the runs that need them). */
  workersHere(labels: () => string[][]): void;
  /**
   * Gives a run of this engine's to the live engine whose workers have the most of `needs` (label sets, one
   * per task waiting for a worker); that engine's id, or undefined when none has any (the run stays here).
   */
  handOver(runId: string, needs: readonly (readonly string[])[]): Promise<string | undefined>;
  /** The runs other engines handed to this one since the last call, and whose they were. */
  handedOver(): Promise<{ runId: string; from: string }[]>;
  /** (The leader) Takes over the unfinished runs of silent engines: their ids, now this engine's, and whose they were. */
  takeOverSilent(): Promise<{ runIds: string[]; from: string[] }>;
  /** Of these runs, those this engine no longer owns, with their owners now. */
  notOwned(runIds: readonly string[]): Promise<Map<string, string>>;
  /** This engine's queued and running runs, but for `excluding` (those it holds): a batch of them, oldest first. */
  ownedUnfinished(excluding: readonly string[]): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Requests made through another engine for runs this one runs (cancel
 * them): a hint to look at once. The engine also looks every few seconds,
 * in case one was lost.
 */
export interface RunRequestHints {
  /** `heard` is told when a request (or a hand-over) for this engine was made (or may have been, while not listening); returns how to stop. */
  listen(heard: () => void): () => void;
}

/**
 * A run of this engine's that waits for its pipeline's place or for a named
 * lock may start now: a run of that pipeline ended on some engine, or one
 * that held locks did. A hint (NOTIFY): the engine also looks every two seconds
 * while a run waits.
 */
export interface PlaceHints {
  /** `heard` is told the pipeline (`namespace/name`), or "" for any (locks were given back, or hints may have been missed); returns how to stop. */
  listen(heard: (pipeline: string) => void): () => void;
}

/**
 * Something the engines keep a view of changed in the shared store: a
 * `missed` record was stored (each engine's event stream tells it), or runs
 * were removed (retention; each engine drops its copies). A hint (NOTIFY),
 * told again after the listening connection comes back; whoever listens
 * also looks now and then, in case one was lost.
 */
export interface StoreChangeHints {
  /** `heard` is told when it changed (or may have, while not listening); returns how to stop. */
  listen(heard: () => void): () => void;
}
