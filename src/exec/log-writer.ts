/**
 * Appends text to a log file without blocking the event loop.
 *
 * Nothing touches the disk until the first append, so a task that prints
 * nothing costs no file I/O. Appends are queued and written one batch at a
 * time: whatever arrived while a write was in flight goes out as the next
 * single write, so a chatty task costs few syscalls, not one per line.
 */
import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

export class LogWriter {
  readonly #file: string;
  #queued: string[] = [];
  #draining: Promise<void> | undefined;
  #handle: FileHandle | undefined;
  /** The first error met (the log is then abandoned; output is still parsed). */
  error: Error | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  append(text: string): void {
    if (text === "" || this.error !== undefined) return;
    this.#queued.push(text);
    this.#draining ??= this.#drain();
  }

  /** Resolves once everything appended so far is written and the file closed. */
  async close(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle !== undefined) await handle.close().catch(() => undefined);
  }

  async #drain(): Promise<void> {
    try {
      if (this.#handle === undefined) {
        await mkdir(dirname(this.#file), { recursive: true });
        this.#handle = await open(this.#file, "a");
      }
      while (this.#queued.length > 0) {
        const batch = this.#queued.length === 1 ? this.#queued[0]! : this.#queued.join("");
        this.#queued = [];
        await this.#handle.write(batch);
      }
    } catch (error) {
      this.error = error instanceof Error ? error : new Error(String(error));
      this.#queued = [];
    } finally {
      this.#draining = undefined;
    }
  }
}
