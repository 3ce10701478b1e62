/**
 * The Executor port: what the engine asks of process supervision.
 * An implementation spawns one attempt of a task in its own process group,
 * captures its output to a log file, reads the lines Spire understands, and
 * reports how it ended. It never touches the store.
 */
import type { ArtifactLayout } from "../files/artifact-layout.js";
import type { ArtifactChunk, ArtifactChunkAnswer } from "../workers/protocol.js";

export type LogStream = "stdout" | "stderr";

/** A longer line is cut into pieces of at most this many bytes, never inside a UTF-8 character (src/exec/capture.ts). */
export const MAX_LINE_BYTES = 64 * 1024;
/** The most lines an AttemptReport's `tail` holds. */
export const TAIL_LINES = 20;

export interface LogLine {
  /** Epoch milliseconds at which the line was read. */
  ts: number;
  stream: LogStream;
  line: string;
}

/** A warning or an error an attempt printed (see messages.ts for what is kept). */
export interface TaskMessage {
  level: "warning" | "error";
  /** `TEXT` of a `::warning::TEXT` / `::error::TEXT` line, or the whole line a pattern counted; masked; at most 1,000 characters. */
  text: string;
  /** Epoch milliseconds at which the line was read. */
  ts: number;
  stream: LogStream;
}

export interface MetricAggregate {
  min: number;
  max: number;
  mean: number;
  sum: number;
  count: number;
}

/** An `http:` task: one request the executor makes itself, judged by `expect`. */
export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Accepted statuses; empty: any 2xx. */
  expectStatus: number[];
  /** A regular expression the body must match. */
  expectBody?: string;
}

/** An `sql:` task: statements the executor runs itself through the database's driver. */
export interface SqlSpec {
  /** postgres://, mysql://, mariadb:// or sqlite:PATH (an absolute path by now). Its password is in the spec's secrets. */
  url: string;
  /** The statements: the query, or the file's text (read on the engine's machine). */
  text: string;
  /** Where the text came from, for messages: "the query" or the file's name. */
  source: string;
  /** Bound as `:name` in the statements, never spliced into them. */
  params: Record<string, string | number | boolean | null>;
  /** Run the statements in one transaction (when there are several). */
  transaction: boolean;
}

export interface LaunchSpec {
  /** Unique per attempt, e.g. `<run>:<path>:<attempt>`. */
  id: string;
  /** argv[0] is looked up in PATH. No shell is involved unless argv asks for one. */
  argv: string[];
  cwd: string;
  /** The complete environment of the process (nothing else is inherited). */
  env: Record<string, string>;
  /** Absolute path of the log file; parent folders are created as needed. */
  logFile: string;
  /** Absolute path handed to the task as SPIRE_OUTPUT; KEY=VALUE lines are read when it ends. */
  outputFile: string;
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL to the process group. */
  killGraceMs: number;
  /** Exact values replaced by *** in the log and in marker values (values shorter than 4 characters are ignored). */
  secrets: string[];
  /** Regular expressions: lines matching count as warnings / errors. */
  warnPattern?: string;
  errorPattern?: string;
  /** A tool's output format (`parser:`, one of PARSER_NAMES) whose warnings and errors count too. */
  parser?: string;
  /** The attempt fails (TERM, KILL after killGraceMs) when its whole process tree goes over one; checked at each resource sample. */
  limits?: { memoryBytes?: number; cpuTimeMs?: number };
  /**
   * For an executor on another machine (a worker), what the engine cannot
   * do there itself: the artifact patterns to collect in `cwd` when the
   * attempt ends (sent to the engine), the tasks whose artifacts it reads
   * (fetched before it starts) and the folders and links that set them out
   * beside its own folder as on the engine's machine. Executors on the engine's machine
   * ignore it: the engine does both itself.
   */
  artifacts?: { patterns: string[]; inputs: string[]; layout?: ArtifactLayout };
  /** An `http:` task: the executor makes this request itself, in its own process (argv only names it, for the record). */
  http?: HttpRequestSpec;
  /** An `sql:` task: the executor runs these statements itself (argv only names the database, for the record). */
  sql?: SqlSpec;
}

/** `interrupted`: nobody saw its end (the machine it ran on was lost). */
export type AttemptEnd = "succeeded" | "failed" | "timed_out" | "canceled" | "interrupted";

export interface AttemptReport {
  state: AttemptEnd;
  exitCode: number | null;
  signal: string | null;
  /** Why it ended when not by its own exit code: "timed out after 2s", "canceled: …", "spawn failed: ENOENT …". */
  reason: string | null;
  pid: number | null;
  startedAt: number;
  finishedAt: number;
  warnings: number;
  errors: number;
  metrics: Record<string, MetricAggregate>;
  /** From `::output::K=V` lines and the SPIRE_OUTPUT file (the file wins). */
  outputs: Record<string, string>;
  /** The last lines of output (at most 20), for failure summaries. */
  tail: LogLine[];
  /**
   * The texts of its first 100 warnings and first 100 errors, in order (the
   * counts above count them all). Absent from reports that kept none, and
   * from reports older than this field.
   */
  messages?: TaskMessage[];
  /**
   * User + system CPU of the whole process tree (src/exec/resources), and
   * its highest sampled RSS. Absent when nothing could be measured: the
   * attempt never ran, the system cannot tell, or the report is older.
   */
  cpuMs?: number;
  peakRssBytes?: number;
}

export interface LaunchEvents {
  onStart?(pid: number, startedAt: number): void;
  /** `::progress::DONE/TOTAL` */
  onProgress?(done: number, total: number): void;
  /** Every captured line, after masking (only called when provided: costs nothing otherwise). */
  onLine?(line: LogLine): void;
  /**
   * A chunk of a file the attempt keeps, sent by the worker that runs it
   * (only a worker's attempts send any: src/workers): into the task's
   * artifact folder, if the run has room for the file under its limit.
   */
  onArtifactChunk?(chunk: ArtifactChunk): Promise<ArtifactChunkAnswer>;
}

export interface TaskHandle {
  readonly id: string;
  /** Ends the attempt: SIGTERM to the group, SIGKILL after killGraceMs. Idempotent. */
  cancel(reason: string): void;
  /** Resolves once the process and every descendant are gone and the log is flushed. Never rejects. */
  readonly done: Promise<AttemptReport>;
}

/** What an attempt's executor recorded when it spawned it: with the pid, the start time names the process for its whole life. */
export interface StartedRecord {
  pid: number;
  startedAt: number;
  /** /proc/<pid>/stat field 22 (clock ticks since boot). Null off Linux. */
  pidStartTime: string | null;
}

/** What an attempt left beside its log: both absent when it never got to spawn. */
export interface AttemptTraces {
  started?: StartedRecord;
  result?: AttemptReport;
}

export interface Executor {
  launch(spec: LaunchSpec, events?: LaunchEvents): TaskHandle;
  /** Cancels everything still running and waits until it is gone. */
  shutdown(): Promise<void>;
  /** Read after a restart: what the attempt whose log is `logFile` left behind (see exec/supervisor/attempt-files.ts). */
  traces(logFile: string): Promise<AttemptTraces>;
  /** Kills the process group of an attempt nobody watches any more, only if its pid still names the same process; whether it did. */
  killOrphan(started: StartedRecord): boolean;
}

export interface RunningAttempt {
  id: string;
  state: "running";
  pid: number | null;
  startedAt: number;
}

export interface FinishedAttempt {
  id: string;
  state: "finished";
  report: AttemptReport;
}

/** An attempt a supervisor that outlives the engine knows of. */
export type KnownAttempt = RunningAttempt | FinishedAttempt;

/** What the engine needs of a supervisor that outlives it (SupervisorExecutor connected to a socket has it). */
export interface AttemptKeeper {
  /** When the supervisor started (epoch ms). */
  readonly startedAt: number;
  /** Its pid, and why the engine lost it, if it did (GET /engine shows them). */
  readonly pid?: number;
  readonly lostReason?: string | undefined;
  /** Attempts it runs, and finished ones whose reports were not acked. */
  list(): Promise<KnownAttempt[]>;
  adopt(id: string, events?: LaunchEvents): TaskHandle;
  /** The result is stored: the supervisor may forget it. */
  ack(id: string): void;
}

/** A machine an attempt runs on, as the spec of the attempt must be laid out for it. */
export interface Machine {
  /** The worker's name; the engine's own machine is named by its host name. */
  name: string;
  /** Its data folder: the attempt's log, output file and artifacts go under it. */
  dataDir: string;
  /** Where a task without an absolute `cwd` runs; undefined: the definitions' folder (the engine's own machine). */
  workDir: string | undefined;
  /** The node binary for `node:` tasks there. */
  nodePath: string;
  /** The engine's own machine: the task gets the engine's environment; elsewhere the worker adds its own. */
  local: boolean;
}

export interface Placed {
  machine: Machine;
  executor: Executor;
  /** The attempt ended: its room on the machine is free again. */
  release(): void;
}

/**
 * Where attempts of tasks with `runs_on` go: the machines (workers) that
 * have all the labels, each with its own capacity.
 */
export interface Placement {
  /** Waits until a machine with all `labels` has room for `need`, then holds that room. `waiting` says why it waits, each time the reason changes. */
  place(labels: readonly string[], need: { cpus: number; memoryBytes: number }, options: { signal: AbortSignal; waiting(reason: string): void }): Promise<Placed>;
  /** The end of an attempt that ran elsewhere is stored: its worker may forget it. */
  recorded(attemptId: string): void;
  /**
   * After an engine restart: a handle for an attempt the store says runs on
   * `worker`. It is taken up when the worker registers again and lists it;
   * it ends as interrupted if the worker comes back without it, or does not
   * come back within a lease. While it runs it takes `need` (and one task)
   * of the worker's room, as a placed attempt does.
   */
  adopt(worker: string, attemptId: string, logFile: string, events?: LaunchEvents, need?: { cpus: number; memoryBytes: number }): TaskHandle;
}
