/** What an engine is made of and told of (see engine.ts): its ports, its limits, and with engines sharing a store, its place among them. */
import type { AttemptKeeper, Executor, Placement } from "../exec/port.js";
import type { LogReader } from "../logs/port.js";
import type { Store } from "../store/port.js";
import type { ResourceCapacity } from "./resources/reservations.js";
import type { DefinitionChanges, EngineRoster, PlaceHints, RunRequestHints, SchedulingLeadership, StoreChangeHints } from "../cluster/port.js";
import type { RetentionLimits } from "./runs/retention.js";
import type { WorkerInfo } from "./service.js";

export interface EngineLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface EngineOptions {
  store: Store;
  executor: Executor;
  /** A supervisor that outlives the engine: attempts are re-attached at start, and each result acked once stored. */
  supervisor?: AttemptKeeper;
  dataDir: string;
  /** Workers on other machines, for tasks with `runs_on` labels this machine lacks. */
  placement?: Placement;
  /** Those workers as GET /workers shows them. */
  remoteWorkers?: () => WorkerInfo[];
  /** Where task logs are read (default: files on this machine). */
  logs?: LogReader;
  parallelism: number;
  /** Cpus and memory tasks may reserve (`resources:`); default: this machine's (see engineCapacity). */
  resources?: ResourceCapacity;
  logger?: EngineLogger;
  /** Where `secrets:` are read from (the engine's own environment). */
  environment?: Record<string, string | undefined>;
  now?: () => number;
  /** The zone of triggers without `timezone` (default: this machine's). */
  defaultZone?: string;
  /** Retention of pipelines that set none (default DEFAULT_RETENTION). */
  retention?: RetentionLimits;
  /** The most artifacts one run may keep (default 1 GiB). */
  artifactLimitBytes?: number;
  /** How long a `spire watch` pipeline fires without its watcher renewing its lease (default DEFAULT_WATCH_LEASE_MS). */
  watchLeaseMs?: number;
  /**
   * False for an engine inside a CLI command (no engine running): it runs
   * what it is asked to and never touches schedules, so the engine that
   * starts later counts slots from its own first sight of each trigger.
   */
  schedules?: boolean;
  /** The most tasks one run of an applied pipeline may expand to (default DEFAULT_MAX_TASKS). */
  maxTasks?: number;
  /** With engines sharing a store (PostgreSQL): time triggers fire only while this engine leads. */
  leadership?: SchedulingLeadership;
  /** With engines sharing a store: changes of definitions through one are told to the others. */
  definitionChanges?: DefinitionChanges;
  /** With engines sharing a store: heartbeats, and the take-over of silent engines' runs (see take-overs.ts). */
  roster?: EngineRoster;
  /** With engines sharing a store: told when another engine asked this one to cancel a run it runs. */
  runRequests?: RunRequestHints;
  /** Told when another engine hands this one a run (its workers can run it). */
  handOvers?: RunRequestHints;
  /** With engines sharing a store: told when a run waiting here for its pipeline's place or a lock may start. */
  places?: PlaceHints;
  /** With engines sharing a store: told when some engine stored a missed record (every engine's event stream carries it). */
  missedHints?: StoreChangeHints;
  /** With engines sharing a store: told when some engine removed runs (retention), which this one may keep in memory. */
  removedRuns?: StoreChangeHints;
}
