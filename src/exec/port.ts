/**
 * The Executor port: what the engine asks of process supervision.
 * An implementation spawns one attempt of a task in its own process group,
 * captures its output to a log file, reads the lines Spire understands, and
 * reports how it ended. It never touches the store.
 */

export type LogStream = "stdout" | "stderr";

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

import type { HttpRequestSpec } from "./http/http-attempt.js";

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
  /** The attempt fails (TERM, KILL after killGraceMs) when its whole process tree goes over one; checked at each resource sample. */
  limits?: { memoryBytes?: number; cpuTimeMs?: number };
  /** An `http:` task: the engine makes this request itself (argv only names it, for the record). */
  http?: HttpRequestSpec;
}

export type AttemptEnd = "succeeded" | "failed" | "timed_out" | "canceled";

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
}

export interface TaskHandle {
  readonly id: string;
  /** Ends the attempt: SIGTERM to the group, SIGKILL after killGraceMs. Idempotent. */
  cancel(reason: string): void;
  /** Resolves once the process and every descendant are gone and the log is flushed. Never rejects. */
  readonly done: Promise<AttemptReport>;
}

export interface Executor {
  launch(spec: LaunchSpec, events?: LaunchEvents): TaskHandle;
  /** Cancels everything still running and waits until it is gone. */
  shutdown(): Promise<void>;
}
