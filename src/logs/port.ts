/**
 * The port through which the engine reads task logs, wherever they are kept.
 * Today every log is a file on the engine's machine, written there by the
 * local executor or copied there as a worker sends it (local-logs.ts); a
 * store that several engines share plugs in here without the engine
 * knowing. A log is named by what the store records for the attempt
 * (TaskRunRow.log_file), never by anything a client sent.
 */
import type { LineIndex } from "./log-index.js";
import type { ReadLogOptions, ReadLogResult } from "./log-file.js";

export interface LogReader {
  /** Lines from a byte offset (see ReadLogOptions); an empty page when the log does not exist (nothing was printed). */
  read(log: string, options?: ReadLogOptions): Promise<ReadLogResult>;
  /** Whether `offset` is where a line of the log starts: a cursor a client sends back is checked with this. */
  atLineStart(log: string, offset: number): Promise<boolean>;
  /** The log's line index, brought up to its end now. */
  lineIndex(log: string): Promise<LineIndex>;
  /** A log has just been written whole: index it now if it is at least `minBytes`, so the first reader does not wait. */
  warm(log: string, minBytes: number): Promise<void>;
}
