/**
 * Task logs of engines sharing a store: an attempt this engine ran is read
 * from its file in this engine's data folder (the fastest, and ahead of the
 * copy while it runs); any other — run by another engine, on this machine
 * or another, alive or not — from the copy in the shared store, which the
 * engine that ran it keeps (log-shipper.ts). The copy holds the file's
 * bytes at the same offsets, so a cursor, a line number or a tail means the
 * same whichever engine answers.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { AttemptKey, SharedStore } from "../store/shared-port.js";
import { isInside } from "../files/folder-files.js";
import { atLineStartOf, readLogFrom, type LogBytes, type ReadLogOptions, type ReadLogResult } from "./log-file.js";
import { LineIndex } from "./log-index.js";
import { LocalLogs } from "./local-logs.js";
import { attemptLogKey, type AttemptLog, type LogReader } from "./port.js";

/** Line indexes of shared copies kept in memory at most (each a few numbers per 256 lines). */
const MAX_SHARED_INDEXES = 256;

export class SharedLogs implements LogReader {
  private readonly local = new LocalLogs();
  private readonly dataDir: string;
  private readonly indexes = new Map<string, LineIndex>();
  /** The index being brought up to date, by log: the next ask waits for it (two never extend one index at once). */
  private readonly pending = new Map<string, Promise<LineIndex>>();

  constructor(
    private readonly shared: SharedStore,
    dataDir: string,
  ) {
    this.dataDir = resolve(dataDir);
  }

  async read(log: AttemptLog, options?: ReadLogOptions): Promise<ReadLogResult> {
    return (await this.isHere(log)) ? this.local.read(log, options) : readLogFrom(this.bytesOf(log), options);
  }

  async atLineStart(log: AttemptLog, offset: number): Promise<boolean> {
    return (await this.isHere(log)) ? this.local.atLineStart(log, offset) : atLineStartOf(this.bytesOf(log), offset);
  }

  async lineIndex(log: AttemptLog): Promise<LineIndex> {
    if (await this.isHere(log)) return this.local.lineIndex(log);
    const key = attemptLogKey(log);
    const previous = this.pending.get(key) ?? Promise.resolve();
    const work = previous.catch(() => undefined).then(() => this.bringUpToDate(key, log));
    this.pending.set(key, work);
    try {
      return await work;
    } finally {
      if (this.pending.get(key) === work) this.pending.delete(key);
    }
  }

  async size(log: AttemptLog): Promise<number> {
    return (await this.isHere(log)) ? this.local.size(log) : this.shared.logSize(log);
  }

  /** One stat says both whether the file is here and whether it is big enough (a task's end asks, every task). */
  async warm(log: AttemptLog, minBytes: number): Promise<void> {
    const file = resolve(log.log_file);
    if (!isInside(this.dataDir, file)) return;
    const size = await stat(file).then((info) => (info.isFile() ? info.size : -1), () => -1);
    if (size >= 0 && size >= minBytes) await this.local.lineIndex(log);
  }

  /** Written by this engine: the file is in its data folder (on another machine the same path is another engine's, and not there). */
  private async isHere(log: AttemptLog): Promise<boolean> {
    const file = resolve(log.log_file);
    return isInside(this.dataDir, file) && (await stat(file).then((info) => info.isFile(), () => false));
  }

  private bytesOf(log: AttemptLog): LogBytes {
    const key: AttemptKey = { run_id: log.run_id, path: log.path, attempt: log.attempt };
    return {
      read: async (buffer, offset, length, position) => {
        const bytes = await this.shared.readLog(key, position, length);
        bytes.copy(buffer, offset);
        return { bytesRead: bytes.length };
      },
    };
  }

  /** A copy only grows, as its file does: its index is extended from where it stopped. */
  private async bringUpToDate(key: string, log: AttemptLog): Promise<LineIndex> {
    const index = this.indexes.get(key) ?? new LineIndex();
    this.indexes.delete(key);
    const size = await this.shared.logSize(log);
    if (size > index.bytes) await index.extend(this.bytesOf(log), size);
    // Most recently used last: the first in the map is the first to go.
    this.indexes.set(key, index);
    if (this.indexes.size > MAX_SHARED_INDEXES) this.indexes.delete(this.indexes.keys().next().value!);
    return index;
  }
}
