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
 */
import { closeSync, openSync, writev } from "node:fs";
import { dirname } from "node:path";
import { makePrivateDirSync, PRIVATE_FILE_MODE } from "../files/private.js";

export class LogWriter {
  readonly #file: string;
  #queued: Buffer[] = [];
  #fd: number | undefined;
  #writing = false;
  #idle: (() => void)[] = [];
  /** The first error met (the log is then abandoned; output is still parsed). */
  error: Error | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  /** `data`: log lines, each ending with "\n" (a Buffer is kept until written, so it must not be reused). */
  append(data: Buffer | string): void {
    if (data.length === 0 || this.error !== undefined) return;
    if (this.#fd === undefined && !this.#open()) return;
    this.#queued.push(typeof data === "string" ? Buffer.from(data, "utf8") : data);
    if (!this.#writing) this.#writeQueued();
  }

  /** Resolves once everything appended so far is written and the file closed. */
  async close(): Promise<void> {
    if (this.#writing) await new Promise<void>((resolve) => this.#idle.push(resolve));
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
      this.#fail(error);
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
      if (error !== null) this.#fail(error);
      else if (written < totalLength(batches)) return this.#writeBatches(after(batches, written));
      if (this.error === undefined && this.#queued.length > 0) return this.#writeQueued();
      this.#writing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  #fail(error: unknown): void {
    this.error = error instanceof Error ? error : new Error(String(error));
    this.#queued = [];
  }
}

function totalLength(batches: Buffer[]): number {
  let total = 0;
  for (const batch of batches) total += batch.length;
  return total;
}

/** What is left of `batches` once their first `written` bytes are written. */
function after(batches: Buffer[], written: number): Buffer[] {
  let index = 0;
  while (written >= batches[index]!.length) written -= batches[index++]!.length;
  return [batches[index]!.subarray(written), ...batches.slice(index + 1)];
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
