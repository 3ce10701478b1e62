/**
 * The port through which the engine reads task logs, wherever they are kept.
 * Every log is a file on the machine of the engine that ran its attempt,
 * written there by the local executor or copied there as a worker sends it
 * (local-logs.ts); engines sharing a store also copy it there, and read
 * the logs of the attempts they did not run from that copy (shared-logs.ts),
 * without the engine knowing which. A log is named by what the store
 * records for the attempt (TaskRunRow), never by anything a client sent.
 */
import type { LineIndex } from "./log-index.js";
import type { ReadLogOptions, ReadLogResult } from "./log-file.js";

/** One attempt's log: its file as the store names it (TaskRunRow.log_file), and whose attempt it is. */
export interface AttemptLog {
  run_id: string;
  path: string;
  attempt: number;
  log_file: string;
}

/** The attempt's log, when the store names one (an attempt that could not even be built has none). */
export function attemptLog(row: { run_id: string; path: string; attempt: number; log_file: string | null }): AttemptLog | undefined {
  return row.log_file === null ? undefined : { run_id: row.run_id, path: row.path, attempt: row.attempt, log_file: row.log_file };
}

/** One text per attempt, for maps of them. */
export function attemptLogKey(log: AttemptLog): string {
  return `${log.run_id}\u0000${log.path}\u0000${log.attempt}`;
}

export interface LogReader {
  /** Lines from a byte offset (see ReadLogOptions); an empty page when the log does not exist (nothing was printed). */
  read(log: AttemptLog, options?: ReadLogOptions): Promise<ReadLogResult>;
  /** Whether `offset` is where a line of the log starts: a cursor a client sends back is checked with this. */
  atLineStart(log: AttemptLog, offset: number): Promise<boolean>;
  /** The log's line index, brought up to its end now. */
  lineIndex(log: AttemptLog): Promise<LineIndex>;
  /** Its size in bytes now (0 when it does not exist). */
  size(log: AttemptLog): Promise<number>;
  /** A log has just been written whole: index it now if it is at least `minBytes`, so the first reader does not wait. */
  warm(log: AttemptLog, minBytes: number): Promise<void>;
}
