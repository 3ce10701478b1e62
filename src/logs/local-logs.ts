/** Task logs as files on this machine: the LogReader of an engine alone. */
import { stat } from "node:fs/promises";
import { atLineStart, readLog, type ReadLogOptions, type ReadLogResult } from "./log-file.js";
import type { LineIndex } from "./log-index.js";
import { LineIndexes, type LineIndexesOptions } from "./log-indexes.js";
import type { AttemptLog, LogReader } from "./port.js";

export class LocalLogs implements LogReader {
  private readonly indexes: LineIndexes;

  constructor(options: LineIndexesOptions = {}) {
    this.indexes = new LineIndexes(options);
  }

  read(log: AttemptLog, options?: ReadLogOptions): Promise<ReadLogResult> {
    return readLog(log.log_file, options);
  }

  atLineStart(log: AttemptLog, offset: number): Promise<boolean> {
    return atLineStart(log.log_file, offset);
  }

  lineIndex(log: AttemptLog): Promise<LineIndex> {
    return this.indexes.current(log.log_file);
  }

  size(log: AttemptLog): Promise<number> {
    return stat(log.log_file).then((info) => info.size, () => 0);
  }

  warm(log: AttemptLog, minBytes: number): Promise<void> {
    return this.indexes.warm(log.log_file, minBytes);
  }
}
