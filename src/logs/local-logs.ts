/** Task logs as files on this machine: the LogReader every engine uses today. */
import { atLineStart, readLog, type ReadLogOptions, type ReadLogResult } from "./log-file.js";
import type { LineIndex } from "./log-index.js";
import { LineIndexes, type LineIndexesOptions } from "./log-indexes.js";
import type { LogReader } from "./port.js";

export class LocalLogs implements LogReader {
  private readonly indexes: LineIndexes;

  constructor(options: LineIndexesOptions = {}) {
    this.indexes = new LineIndexes(options);
  }

  read(log: string, options?: ReadLogOptions): Promise<ReadLogResult> {
    return readLog(log, options);
  }

  atLineStart(log: string, offset: number): Promise<boolean> {
    return atLineStart(log, offset);
  }

  lineIndex(log: string): Promise<LineIndex> {
    return this.indexes.current(log);
  }

  warm(log: string, minBytes: number): Promise<void> {
    return this.indexes.warm(log, minBytes);
  }
}
