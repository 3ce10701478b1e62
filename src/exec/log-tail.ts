/**
 * The last lines of a task's output, kept for its report.
 *
 * A line is kept as its place in the bytes it was read in, in one of a
 * fixed set of slots reused round the ring: no view, string or object is
 * made per line. Most kept lines are pushed out by later ones before
 * anyone reads them (bench/logs keeps 20 lines of every chunk read), so
 * they are decoded only when the tail is read.
 */
import type { LogLine, LogStream } from "./port.js";

const NOTHING = Buffer.alloc(0);

interface Slot {
  ts: number;
  stream: LogStream;
  /** The line as text, when it had to become text (masked, for instance); otherwise bytes[start, end). */
  text: string | undefined;
  bytes: Buffer;
  start: number;
  end: number;
}

export class LogTail {
  readonly size: number;
  readonly #slots: Slot[] = [];
  /** The oldest slot, once every slot is in use (the next to be reused). */
  #oldest = 0;

  constructor(size: number) {
    this.size = size;
  }

  addText(ts: number, stream: LogStream, text: string): void {
    const slot = this.#nextSlot();
    slot.ts = ts;
    slot.stream = stream;
    slot.text = text;
    slot.bytes = NOTHING;
  }

  /** The line `bytes[start, end)`: the bytes must not change afterwards (a chunk read, never reused). */
  addBytes(ts: number, stream: LogStream, bytes: Buffer, start: number, end: number): void {
    const slot = this.#nextSlot();
    slot.ts = ts;
    slot.stream = stream;
    slot.text = undefined;
    slot.bytes = bytes;
    slot.start = start;
    slot.end = end;
  }

  /** The kept lines, oldest first. */
  lines(): LogLine[] {
    const slots = this.#slots;
    const ordered = [...slots.slice(this.#oldest), ...slots.slice(0, this.#oldest)];
    return ordered.map(({ ts, stream, text, bytes, start, end }) => ({ ts, stream, line: text ?? bytes.toString("utf8", start, end) }));
  }

  #nextSlot(): Slot {
    if (this.#slots.length < this.size) {
      const slot: Slot = { ts: 0, stream: "stdout", text: undefined, bytes: NOTHING, start: 0, end: 0 };
      this.#slots.push(slot);
      return slot;
    }
    const slot = this.#slots[this.#oldest]!;
    this.#oldest = this.#oldest + 1 === this.size ? 0 : this.#oldest + 1;
    return slot;
  }
}
