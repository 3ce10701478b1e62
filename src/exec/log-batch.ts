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
 * (bench/logs). The prefix in front of each line is stored as 32-bit words
 * through a DataView (inlined by the optimizing compiler), not copied: a
 * copyWithin is a call into the runtime, and two of them per line were
 * most of the capture's time on 80-byte lines.
 */
import { STREAM_CODE } from "../logs/log-file.js";
import type { LogStream } from "./port.js";
import type { LogTail } from "./log-tail.js";

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
/** Where addLines found the newlines of its region (reused: one batch is built at a time). */
let newlines: Int32Array = new Int32Array(16 * 1024);

/**
 * Batches are cut from a shared slab one after another (as Node's Buffer
 * pool does, larger): one allocation per SLAB_BYTES of log instead of one
 * per chunk read, whose allocation and collection cost more than building
 * the batch of a small read (bench/logs). A batch is given the whole rest
 * of the slab and gives back what it did not use when taken.
 */
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.alloc(0);
let slabUsed = 0;
/** The room last claimed, until given back: the only one that can be (it is the rest of the slab). */
let claimedRoom: Buffer | undefined;

export class LogBatch {
  readonly #ts: number;
  readonly #stream: LogStream;
  #bytes: Buffer;
  #used = 0;
  #view: DataView;
  readonly #prefix = Buffer.allocUnsafe(32);
  readonly #prefixLength: number;
  /** The prefix as little-endian 32-bit words (its last 0–3 bytes are in #prefix only). */
  readonly #prefixWords: Int32Array;

  /** `expected`: the bytes of output this batch is for (the buffer grows if lines are many and short). */
  constructor(ts: number, stream: LogStream, expected: number) {
    this.#ts = ts;
    this.#stream = stream;
    this.#prefixLength = this.#prefix.write(`${ts} ${STREAM_CODE[stream]} `, "latin1");
    this.#prefixWords = new Int32Array(this.#prefixLength >> 2);
    for (let word = 0; word < this.#prefixWords.length; word++) this.#prefixWords[word] = this.#prefix.readInt32LE(word * 4);
    this.#bytes = claimRoom(expected + (expected >> 2) + 256);
    this.#view = viewOf(this.#bytes);
  }

  /** Adds the line `source[start, end)` (no "\n" in it). */
  addBytes(source: Uint8Array, start: number, end: number): void {
    this.#reserve(end - start);
    let at = this.#writePrefix(this.#used);
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
   * it stopped (`end` when every line was added). The last lines added go
   * to `tail` (only as many as it keeps).
   */
  addLines(source: Buffer, start: number, end: number, maxLine: number, tail: LogTail): number {
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
    for (let index = Math.max(0, count - tail.size); index < count; index++) {
      tail.addBytes(this.#ts, this.#stream, source, index === 0 ? start : newlines[index - 1]! + 1, newlines[index]!);
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
    const region = this.#used + size - length - start; // source[i] is copied to bytes[region + i]
    bytes.set(start === 0 && end === source.length ? source : source.subarray(start, end), region + start);
    const view = this.#view;
    const words = this.#prefixWords;
    const wordCount = words.length;
    const prefixRest = this.#prefix.subarray(wordCount * 4, prefixLength); // its last 0–3 bytes
    let at = this.#used;
    let lineStart = start;
    for (let index = 0; index < count; index++) {
      // The prefix overwrites only bytes of lines already moved: the region starts count * prefixLength ahead.
      for (let word = 0; word < wordCount; word++, at += 4) view.setInt32(at, words[word]!, true);
      for (let i = 0; i < prefixRest.length; i++) bytes[at++] = prefixRest[i]!;
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
    let at = this.#writePrefix(this.#used);
    at += this.#bytes.write(text, at, "utf8");
    this.#bytes[at++] = NEWLINE;
    this.#used = at;
  }

  /** The batch's bytes (a view: the batch must not be used after). */
  take(): Buffer {
    giveBackRoom(this.#bytes, this.#used);
    return this.#bytes.subarray(0, this.#used);
  }

  /** Writes the prefix at `at` (room reserved); returns where the line goes. */
  #writePrefix(at: number): number {
    const view = this.#view;
    const words = this.#prefixWords;
    for (let word = 0; word < words.length; word++, at += 4) view.setInt32(at, words[word]!, true);
    const bytes = this.#bytes;
    const prefix = this.#prefix;
    for (let i = words.length * 4; i < this.#prefixLength; i++) bytes[at++] = prefix[i]!;
    return at;
  }

  /** Room for one more line of `lineLength` bytes (or, from addLines, `size` bytes in all). */
  #reserve(lineLength: number, size = this.#prefixLength + lineLength + 1): void {
    const needed = this.#used + size;
    if (needed <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#bytes.length * 2));
    this.#bytes.copy(grown, 0, 0, this.#used);
    giveBackRoom(this.#bytes, 0);
    this.#bytes = grown;
    this.#view = viewOf(grown);
  }
}

/** Not a possible marker (see mayBeMarkerBytes) and no "\r" to drop before its "\n". */
function ordinary(source: Uint8Array, start: number, newline: number): boolean {
  const first = source[start];
  return first !== COLON && first !== SPACE && first !== TAB && source[newline - 1] !== CARRIAGE_RETURN;
}

/** At least `size` bytes for one batch: the rest of the slab (a new slab when too little is left), or a buffer of its own when large. */
function claimRoom(size: number): Buffer {
  if (size > SLAB_BYTES >> 1) return Buffer.allocUnsafeSlow(size);
  if (slab.length - slabUsed < size) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const room = slab.subarray(slabUsed);
  slabUsed = slab.length;
  claimedRoom = room;
  return room;
}

/** The room's bytes after `used` are free again, unless another batch claimed room since. */
function giveBackRoom(room: Buffer, used: number): void {
  if (room !== claimedRoom) return;
  slabUsed = slab.length - room.length + used;
  claimedRoom = undefined;
}

function viewOf(bytes: Buffer): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
}

function grow(positions: Int32Array): Int32Array {
  const grown = new Int32Array(positions.length * 2);
  grown.set(positions);
  return grown;
}
