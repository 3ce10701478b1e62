/**
 * Appends text to a log file without waiting on the disk for the data.
 *
 * Nothing touches the disk until the first append, so a task that prints
 * nothing costs no file I/O. Appends are queued and written one batch at a
 * time: whatever arrived while a write was in flight goes out as the next
 * single write, so a chatty task costs few syscalls, not one per line.
 *
 * The file is opened (and its folder made) synchronously, at the first
 * append: two small metadata calls, where the thread pool would cost four
 * round trips (mkdir, open, write, close) per task, each a wake-up of a
 * pool thread and of this loop — measured as the largest cost after the
 * spawn itself when tasks are short (bench/spawn). Data is still written
 * asynchronously (a write can wait on dirty-page throttling; an open does
 * not), and close is synchronous because it only drops the descriptor.
 *
 * A full disk does not end the log. Lines that find no room are counted and
 * dropped (a chatty task's output is not held in memory without bound), a
 * write is tried again at most once a second, and the first to go through
 * starts with a line saying how many were lost there; the attempt's reason
 * says so too. Any other write error ends the log (output is still parsed).
 */
import { closeSync, openSync, writev, writeSync } from "node:fs";
import { dirname } from "node:path";
import { makePrivateDirSync, PRIVATE_FILE_MODE } from "../files/private.js";
import { formatLogLine } from "../logs/log-file.js";

/** While the disk is full, a write is tried again at most this often (the lines in between are counted, not kept). */
export const FULL_RETRY_MS = 1000;

const NEWLINE = 10;

export class LogWriter {
  readonly #file: string;
  #queued: Buffer[] = [];
  #fd: number | undefined;
  #writing = false;
  #idle: (() => void)[] = [];
  /** An error that ended the log for good (anything but a full disk). Output is still parsed. */
  #failed: Error | undefined;
  /**
   * Lines dropped because the disk was full, since the last that went out,
   * and when to try again. The log says how many once it can be written to.
   */
  #lost = 0;
  #retryAt = 0;
  #lostInAll = 0;
  /** The file does not end with "\n": a write cut short by a full disk stopped inside a line. */
  #midLine = false;

  readonly #fullRetryMs: number;

  constructor(file: string, options: { fullRetryMs?: number } = {}) {
    this.#file = file;
    this.#fullRetryMs = options.fullRetryMs ?? FULL_RETRY_MS;
  }

  /** Why the log is incomplete: what ended it, or the lines lost to a full disk; undefined when it is whole. */
  get error(): Error | undefined {
    if (this.#failed !== undefined) return this.#failed;
    return this.#lostInAll > 0 ? new Error(`${this.#lostInAll} line${this.#lostInAll === 1 ? "" : "s"} of output lost: the disk was full`) : undefined;
  }

  /** `data`: log lines, each ending with "\n" (a Buffer is kept until written, so it must not be reused). */
  append(data: Buffer | string): void {
    if (data.length === 0 || this.#failed !== undefined) return;
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (this.#lost > 0 && Date.now() < this.#retryAt) return void this.#drop([bytes]);
    if (this.#fd === undefined && !this.#open()) return void this.#drop([bytes]);
    if (this.#lost > 0 && !this.#writing) this.#queued.push(this.#lostNote());
    this.#queued.push(bytes);
    if (!this.#writing) this.#writeQueued();
  }

  /** Resolves once everything appended so far is written (or counted as lost). */
  async flushed(): Promise<void> {
    if (this.#writing) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Resolves once everything appended so far is written (or counted as lost) and the file closed. */
  async close(): Promise<void> {
    await this.flushed();
    // The last chance to say in the log itself that lines are missing.
    if (this.#lost > 0 && this.#failed === undefined && (this.#fd !== undefined || this.#open())) {
      try {
        writeSync(this.#fd!, this.#lostNote());
        this.#lost = 0;
      } catch {
        // still full: the attempt's reason says it
      }
    }
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // the data was written (or its error recorded); a failed close loses nothing more
    }
  }

  #open(): boolean {
    try {
      this.#fd = openLog(this.#file);
      return true;
    } catch (error) {
      this.#fail(error, []);
      return false;
    }
  }

  /** Everything queued goes out in one writev, without joining the batches first. */
  #writeQueued(): void {
    const batches = this.#queued;
    this.#queued = [];
    this.#writing = true;
    this.#writeBatches(batches);
  }

  /** Writes all of `batches` (a regular file rarely takes less than asked, but may: disk full). */
  #writeBatches(batches: Buffer[]): void {
    writev(this.#fd!, batches, (error, written) => {
      if (error !== null) this.#fail(error, batches);
      else {
        if (written > 0) this.#midLine = lastByte(batches, written) !== NEWLINE;
        if (written < totalLength(batches)) return this.#writeBatches(afterWritten(batches, written));
        this.#lost = 0;
      }
      if (this.#failed === undefined && this.#lost === 0 && this.#queued.length > 0) return this.#writeQueued();
      this.#writing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  /** A full disk drops `unwritten` (counted) until the next try; any other error ends the log. */
  #fail(error: unknown, unwritten: Buffer[]): void {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT") {
      this.#drop([...unwritten, ...this.#queued]);
      this.#retryAt = Date.now() + this.#fullRetryMs;
    } else {
      this.#failed = error instanceof Error ? error : new Error(String(error));
    }
    this.#queued = [];
  }

  #drop(batches: Buffer[]): void {
    let lines = 0;
    for (const batch of batches) for (let at = batch.indexOf(NEWLINE); at >= 0; at = batch.indexOf(NEWLINE, at + 1)) lines++;
    // A lost-lines note that was not written is not a line of the task's.
    lines -= batches.filter(isLostNote).length;
    this.#lost += lines;
    this.#lostInAll += lines;
  }

  /** The line that stands for the lost ones (after a "\n" that ends a line cut short). */
  #lostNote(): Buffer {
    const text = formatLogLine(Date.now(), "stderr", `spire: ${this.#lost} line${this.#lost === 1 ? "" : "s"} of output lost here: the disk was full`);
    const note = Buffer.from(this.#midLine ? `\n${text}` : text, "utf8");
    lostNotes.add(note);
    return note;
  }
}

const lostNotes = new WeakSet<Buffer>();
const isLostNote = (batch: Buffer) => lostNotes.has(batch);

function totalLength(batches: Buffer[]): number {
  let total = 0;
  for (const batch of batches) total += batch.length;
  return total;
}

/** The last byte of the first `written` bytes of `batches`. */
function lastByte(batches: Buffer[], written: number): number {
  for (const batch of batches) {
    if (written <= batch.length) return batch[written - 1]!;
    written -= batch.length;
  }
  return NEWLINE;
}

/** What is left of `batches` once their first `written` bytes are written (the rest of a note is still one). */
function afterWritten(batches: Buffer[], written: number): Buffer[] {
  let index = 0;
  while (written >= batches[index]!.length) written -= batches[index++]!.length;
  const rest = batches[index]!.subarray(written);
  if (isLostNote(batches[index]!)) lostNotes.add(rest);
  return [rest, ...batches.slice(index + 1)];
}

/** Opens for appending; the folder is made only when the open says it is missing (a retry's folder exists). */
function openLog(file: string): number {
  try {
    return openSync(file, "a", PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    makePrivateDirSync(dirname(file));
    return openSync(file, "a", PRIVATE_FILE_MODE);
  }
}
