/**
 * A line index of a task log (the format of log-file.ts): how many lines it
 * has, both streams together and each alone, and where every STRIDE-th line
 * of each starts. With it, line N of a million-line log is one seek and at
 * most STRIDE-1 lines read past, instead of a read of everything before it.
 *
 * Logs only grow (a live task appends; nothing rewrites a line), so an index
 * is extended from where it stopped. It counts exactly the lines readLog
 * gives: a line that does not parse is in no view, and a last line without
 * its "\n" yet is left for the next extension.
 */
import type { LogBytes } from "./log-file.js";
import type { LogStream } from "../exec/port.js";

/** One line in this many of each view has its offset kept: 8 bytes per 256 lines, and at most 255 lines read past to reach any line. */
export const LINE_INDEX_STRIDE = 256;

/** Both streams merged in order, or one of them. */
export type LogView = "all" | LogStream;

export const LOG_VIEWS: readonly LogView[] = ["all", "stdout", "stderr"];

const SPACE = 32;
const NEWLINE = 10;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const CODE_STDOUT = 111; // "o"
const CODE_STDERR = 101; // "e"
/** The usual first space: a 13-digit epoch-ms timestamp (2001 to 2286) before it. */
const USUAL_SPACE_AT = 13;

/** Reads this much at a time when extending; a longer line makes the buffer grow until it fits. */
const READ_BYTES = 1 << 20;

export class LineIndex {
  /** Offset just after the last whole line indexed: where the next extension starts. */
  bytes = 0;
  readonly counts: Record<LogView, number> = { all: 0, stdout: 0, stderr: 0 };
  /** checkpoints[view][k]: the offset of line k × STRIDE of that view. */
  readonly checkpoints: Record<LogView, number[]> = { all: [], stdout: [], stderr: [] };

  /** Numbers held, for the memory bound of a cache of indexes. */
  get size(): number {
    return this.checkpoints.all.length + this.checkpoints.stdout.length + this.checkpoints.stderr.length;
  }

  /**
   * Indexes the whole lines of `chunk`, the file's bytes from `this.bytes`;
   * returns how many bytes they took (what is left is a line not yet ended).
   */
  add(chunk: Buffer): number {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE, 0); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      const stream = streamOf(chunk, start, newline);
      if (stream !== undefined) {
        this.count("all", this.bytes + start);
        this.count(stream, this.bytes + start);
      }
      start = newline + 1;
    }
    this.bytes += start;
    return start;
  }

  private count(view: LogView, offset: number): void {
    if (this.counts[view] % LINE_INDEX_STRIDE === 0) this.checkpoints[view].push(offset);
    this.counts[view]++;
  }

  /**
   * Where to read from to reach line `line` (0-based) of `view`: the offset of
   * a line of that view at or before it, and how many lines of the view to
   * pass over from there. Undefined past the last indexed line.
   */
  locate(view: LogView, line: number): { offset: number; skip: number } | undefined {
    if (!(line >= 0 && line < this.counts[view])) return undefined;
    const checkpoint = Math.floor(line / LINE_INDEX_STRIDE);
    return { offset: this.checkpoints[view][checkpoint]!, skip: line - checkpoint * LINE_INDEX_STRIDE };
  }

  /** Reads the lines `handle` (a log file, or its shared copy) has beyond `this.bytes`, up to `size` (its size when asked). */
  async extend(handle: LogBytes, size: number): Promise<void> {
    let buffer: Buffer<ArrayBuffer> = Buffer.allocUnsafe(Math.min(READ_BYTES, Math.max(size - this.bytes, 1)));
    let held = 0; // bytes at the front of `buffer` left over from the last read: a line not yet ended
    while (this.bytes + held < size) {
      if (held === buffer.length) buffer = grown(buffer, held); // one line longer than the buffer
      const want = Math.min(buffer.length - held, size - this.bytes - held);
      const { bytesRead } = await handle.read(buffer, held, want, this.bytes + held);
      if (bytesRead === 0) break; // shorter than stat said: what is there is indexed
      const filled = held + bytesRead;
      const used = this.add(buffer.subarray(0, filled));
      held = filled - used;
      if (used > 0 && held > 0) buffer.copy(buffer, 0, used, filled);
    }
  }
}

function grown(buffer: Buffer, held: number): Buffer<ArrayBuffer> {
  const bigger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(bigger, 0, 0, held);
  return bigger;
}

/**
 * The stream of the line at [start, end), or undefined when it is not a log
 * line: the same test as parseLogLine (digits, a space, `o` or `e`, a space),
 * on bytes, so that an index counts exactly the lines readLog gives.
 */
function streamOf(chunk: Buffer, start: number, end: number): LogStream | undefined {
  let space = start + USUAL_SPACE_AT;
  if (!(space < end && chunk[space] === SPACE)) {
    space = chunk.indexOf(SPACE, start);
    if (space < 0 || space >= end) return undefined;
  }
  if (space === start || space + 3 > end || chunk[space + 2] !== SPACE) return undefined;
  for (let at = start; at < space; at++) {
    const byte = chunk[at]!;
    if (byte < DIGIT_0 || byte > DIGIT_9) return undefined;
  }
  const code = chunk[space + 1];
  return code === CODE_STDOUT ? "stdout" : code === CODE_STDERR ? "stderr" : undefined;
}

/** The index as JSON, to keep beside its log (see LineIndexes); `identity` says which file it describes. */
export function serialiseIndex(index: LineIndex, identity: { ino: number }): string {
  return JSON.stringify({ version: 1, stride: LINE_INDEX_STRIDE, ino: identity.ino, bytes: index.bytes, counts: index.counts, checkpoints: index.checkpoints });
}

/** An index read back from serialiseIndex's text; undefined when it is not one, or not of this file. */
export function deserialiseIndex(text: string, identity: { ino: number }): LineIndex | undefined {
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isSavedIndex(saved) || saved.ino !== identity.ino) return undefined;
  const index = new LineIndex();
  index.bytes = saved.bytes;
  for (const view of LOG_VIEWS) {
    const count = saved.counts[view];
    const checkpoints = saved.checkpoints[view];
    // Each view has one checkpoint per STRIDE lines, each at or after the one before.
    if (checkpoints.length !== Math.ceil(count / LINE_INDEX_STRIDE) || !ascending(checkpoints, saved.bytes)) return undefined;
    index.counts[view] = count;
    index.checkpoints[view].push(...checkpoints);
  }
  return index;
}

interface SavedIndex {
  version: 1;
  stride: number;
  ino: number;
  bytes: number;
  counts: Record<LogView, number>;
  checkpoints: Record<LogView, number[]>;
}

function isSavedIndex(value: unknown): value is SavedIndex {
  const saved = value as Partial<SavedIndex> | null;
  return (
    typeof saved === "object" &&
    saved !== null &&
    saved.version === 1 &&
    saved.stride === LINE_INDEX_STRIDE &&
    typeof saved.ino === "number" &&
    Number.isSafeInteger(saved.bytes) &&
    saved.bytes! >= 0 &&
    LOG_VIEWS.every((view) => Number.isSafeInteger(saved.counts?.[view]) && saved.counts![view] >= 0 && Array.isArray(saved.checkpoints?.[view]))
  );
}

function ascending(offsets: readonly unknown[], end: number): boolean {
  let previous = -1;
  for (const offset of offsets) {
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset <= previous || offset >= end) return false;
    previous = offset;
  }
  return true;
}
