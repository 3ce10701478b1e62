/**
 * Builds the log-file bytes of one chunk of output (`<ms> <o|e> <text>\n`
 * per line, see log-file.ts) in one Buffer, straight from the bytes the
 * task wrote: most lines never become JS strings.
 *
 * Every line of a chunk shares the chunk's timestamp, so the prefix is
 * encoded once per chunk. Runs of ordinary lines are copied in bulk
 * (addLines): one copy of the run, then each line moved into place within
 * the batch, so no view is allocated per line — a Buffer#copy or #set with
 * a range makes one, which cost more than the copy of an 80-byte line
 * (bench/logs).
 */
import { STREAM_CODE } from "./log-file.js";
import type { LogStream } from "./port.js";

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
/** Where addLines found the newlines of its region (reused: one batch is built at a time). */
let newlines: Int32Array = new Int32Array(16 * 1024);

export class LogBatch {
  #bytes: Buffer;
  #used = 0;
  readonly #prefix = Buffer.allocUnsafe(32);
  #prefixLength = 0;

  /** `expected`: the bytes of output this batch is for (the buffer grows if lines are many and short). */
  constructor(ts: number, stream: LogStream, expected: number) {
    this.#prefixLength = this.#prefix.write(`${ts} ${STREAM_CODE[stream]} `, "latin1");
    this.#bytes = Buffer.allocUnsafe(expected + (expected >> 2) + 256);
  }

  /** Adds the line `source[start, end)` (no "\n" in it). */
  addBytes(source: Uint8Array, start: number, end: number): void {
    this.#reserve(end - start);
    let at = this.#writePrefix();
    this.#bytes.set(source.subarray(start, end), at);
    at += end - start;
    this.#bytes[at++] = NEWLINE;
    this.#used = at;
  }

  /**
   * Adds the ordinary lines at the start of `source[start, end)` (a region
   * ending with "\n") as they are, in bulk; stops before the first line
   * that needs a closer look: longer than `maxLine`, ending with "\r", or
   * starting with ":", a space or a tab (it may be a marker). Returns where
   * it stopped (`end` when every line was added). `recent` is told the last
   * `recentCount` of the lines added, in order.
   */
  addLines(source: Uint8Array, start: number, end: number, maxLine: number, recentCount: number, recent: (start: number, end: number) => void): number {
    let count = 0;
    let lineStart = start;
    for (let newline = source.indexOf(NEWLINE, start); newline >= 0 && newline < end; newline = source.indexOf(NEWLINE, newline + 1)) {
      if (newline - lineStart > maxLine || !ordinary(source, lineStart, newline)) break;
      if (count === newlines.length) newlines = grow(newlines);
      newlines[count++] = newline;
      lineStart = newline + 1;
    }
    if (count === 0) return start;
    this.#moveLines(source, start, lineStart, count);
    for (let index = Math.max(0, count - recentCount); index < count; index++) {
      recent(index === 0 ? start : newlines[index - 1]! + 1, newlines[index]!);
    }
    return lineStart;
  }

  /** Copies `source[start, end)` once, then moves each of its `count` lines forward into place behind its prefix. */
  #moveLines(source: Uint8Array, start: number, end: number, count: number): void {
    const prefixLength = this.#prefixLength;
    const length = end - start;
    const size = length + count * prefixLength;
    this.#reserve(0, size);
    const bytes = this.#bytes;
    const first = this.#used;
    const region = first + size - length - start; // source[i] is copied to bytes[region + i]
    bytes.set(start === 0 && end === source.length ? source : source.subarray(start, end), region + start);
    this.#prefix.copy(bytes, first, 0, prefixLength);
    let at = first + prefixLength;
    let lineStart = start;
    for (let index = 0; index < count; index++) {
      if (index > 0) {
        bytes.copyWithin(at, first, first + prefixLength);
        at += prefixLength;
      }
      const after = newlines[index]! + 1;
      bytes.copyWithin(at, region + lineStart, region + after);
      at += after - lineStart;
      lineStart = after;
    }
    this.#used = at;
  }

  /** Adds a line that had to become text (masked, for instance). */
  addText(text: string): void {
    this.#reserve(Buffer.byteLength(text, "utf8"));
    let at = this.#writePrefix();
    at += this.#bytes.write(text, at, "utf8");
    this.#bytes[at++] = NEWLINE;
    this.#used = at;
  }

  /** The batch's bytes (a view: the batch must not be used after). */
  take(): Buffer {
    return this.#bytes.subarray(0, this.#used);
  }

  #writePrefix(): number {
    const bytes = this.#bytes;
    const prefix = this.#prefix;
    let at = this.#used;
    for (let i = 0; i < this.#prefixLength; i++) bytes[at++] = prefix[i]!;
    return at;
  }

  /** Room for one more line of `lineLength` bytes (or, from addLines, `size` bytes in all). */
  #reserve(lineLength: number, size = this.#prefixLength + lineLength + 1): void {
    const needed = this.#used + size;
    if (needed <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#bytes.length * 2));
    this.#bytes.copy(grown, 0, 0, this.#used);
    this.#bytes = grown;
  }
}

/** Not a possible marker (see mayBeMarkerBytes) and no "\r" to drop before its "\n". */
function ordinary(source: Uint8Array, start: number, newline: number): boolean {
  const first = source[start];
  return first !== COLON && first !== SPACE && first !== TAB && source[newline - 1] !== CARRIAGE_RETURN;
}

function grow(positions: Int32Array): Int32Array {
  const grown = new Int32Array(positions.length * 2);
  grown.set(positions);
  return grown;
}
