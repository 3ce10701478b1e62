/**
 * The line indexes of task logs, kept in memory (a bounded number of them,
 * least recently used first out) and beside each log (`<attempt>.lines`), so
 * that a log is read through once, not once per engine start.
 *
 * A log still being written is indexed as far as it goes and extended at the
 * next ask. Asks for one file wait for each other: two readers never scan
 * the same bytes at once. The file names come from the store (task rows),
 * never from a request.
 */
import { open, readFile, stat, type FileHandle } from "node:fs/promises";
import { writePrivateFile } from "../files/private.js";
import { deserialiseIndex, LineIndex, serialiseIndex } from "./log-index.js";
import { READ_WITHOUT_WAITING } from "../files/regular-file.js";

const NEWLINE = 10;

export interface LineIndexesOptions {
  /** Indexes kept in memory at most (default 512). */
  maxIndexes?: number;
  /** Checkpoints kept in memory at most, all indexes together (default 2,000,000: 16 MB, some 170 logs of a million lines). */
  maxCheckpoints?: number;
  /** An index is written beside its log once it covers this many bytes more than the copy there (default 1 MiB): small logs are read faster than their index. */
  saveEveryBytes?: number;
}

interface Entry {
  index: LineIndex;
  ino: number;
  /** `index.bytes` when it was last written beside the log (0: never). */
  savedBytes: number;
}

export class LineIndexes {
  private readonly entries = new Map<string, Entry>();
  /** The ask under way for each file: the next one waits for it. */
  private readonly pending = new Map<string, Promise<LineIndex>>();
  private checkpoints = 0;
  private readonly maxIndexes: number;
  private readonly maxCheckpoints: number;
  private readonly saveEveryBytes: number;

  constructor(options: LineIndexesOptions = {}) {
    this.maxIndexes = options.maxIndexes ?? 512;
    this.maxCheckpoints = options.maxCheckpoints ?? 2_000_000;
    this.saveEveryBytes = options.saveEveryBytes ?? 1 << 20;
  }

  /** The index of `logFile` up to its end now; an empty one when there is no such file (nothing was printed). */
  async current(logFile: string): Promise<LineIndex> {
    const previous = this.pending.get(logFile) ?? Promise.resolve();
    const work = previous.catch(() => undefined).then(() => this.bringUpToDate(logFile));
    this.pending.set(logFile, work);
    try {
      return await work;
    } finally {
      if (this.pending.get(logFile) === work) this.pending.delete(logFile);
    }
  }

  /** Builds (and keeps beside the log) the index of a log that has just been written whole, when it is big enough to be worth it. */
  async warm(logFile: string, minBytes: number): Promise<void> {
    const size = await stat(logFile).then((info) => info.size, () => 0);
    if (size >= minBytes) await this.current(logFile);
  }

  private async bringUpToDate(logFile: string): Promise<LineIndex> {
    let handle;
    try {
      handle = await open(logFile, READ_WITHOUT_WAITING);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      this.drop(logFile); // its run was removed
      return new LineIndex();
    }
    try {
      const { ino, size } = await handle.stat();
      // Out of the table while it is worked on; back in at the end, as the most recently used, with its new size.
      let entry = this.entries.get(logFile);
      this.drop(logFile);
      // Another file under the same name (retention removed a run, an id came again), or one that shrank: start over.
      if (entry && (entry.ino !== ino || entry.index.bytes > size)) entry = undefined;
      entry ??= (await this.readSaved(logFile, handle, ino, size)) ?? { index: new LineIndex(), ino, savedBytes: 0 };
      if (size > entry.index.bytes) await entry.index.extend(handle, size);
      if (entry.index.bytes - entry.savedBytes >= this.saveEveryBytes) await this.save(logFile, entry);
      this.remember(logFile, entry);
      return entry.index;
    } finally {
      await handle.close();
    }
  }

  /** The copy beside the log, when it is one of this file and the file still ends a line where it says. */
  private async readSaved(logFile: string, handle: FileHandle, ino: number, size: number): Promise<Entry | undefined> {
    const text = await readFile(sidecarOf(logFile), "utf8").catch(() => undefined);
    const index = text === undefined ? undefined : deserialiseIndex(text, { ino });
    if (!index || index.bytes > size) return undefined;
    if (index.bytes > 0) {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, index.bytes - 1);
      if (byte[0] !== NEWLINE) return undefined;
    }
    return { index, ino, savedBytes: index.bytes };
  }

  /** Best effort: without the copy the index is only made again at the next start (a full disk must not fail a read). */
  private async save(logFile: string, entry: Entry): Promise<void> {
    try {
      await writePrivateFile(sidecarOf(logFile), serialiseIndex(entry.index, { ino: entry.ino }));
      entry.savedBytes = entry.index.bytes;
    } catch {
      // the index still serves from memory
    }
  }

  /** Most recently used last (a Map keeps insertion order); the least recently used go first when a bound is passed. */
  private remember(logFile: string, entry: Entry): void {
    this.entries.set(logFile, entry);
    this.checkpoints += entry.index.size;
    for (const file of this.entries.keys()) {
      if (this.entries.size <= this.maxIndexes && this.checkpoints <= this.maxCheckpoints) return;
      if (file !== logFile) this.drop(file);
    }
  }

  private drop(logFile: string): void {
    const entry = this.entries.get(logFile);
    if (!entry) return;
    this.checkpoints -= entry.index.size;
    this.entries.delete(logFile);
  }
}

/** `runs/R/tasks/a.1.log` → `runs/R/tasks/a.1.lines`. */
export function sidecarOf(logFile: string): string {
  return `${logFile.endsWith(".log") ? logFile.slice(0, -4) : logFile}.lines`;
}
