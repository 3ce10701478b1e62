/**
 * A new run's folders, made before the run exists: spares
 * `runs/.spare/<pid>.<n>/` holding `tasks/` and `artifacts/.first/`, one
 * renamed into place as `runs/<id>` when a run's first attempt starts, its
 * `.first` renamed to that task's own artifact folder.
 *
 * Why: on a VM's ext4 a mkdir is 0.1–0.6 ms of kernel CPU (a new inode, its
 * block group's bitmaps, the journal), and a run's first attempt needs four
 * (`runs/<id>`, `tasks/`, `artifacts/`, `artifacts/<task>/`) before its
 * process may exist. Made in the thread pool while the attempt's start was
 * written, they were what the first spawn waited for last. A rename is
 * ~20 µs: two on the loop's thread, and the spawn waits for the write alone.
 * The spares taken are made again a moment later, off the path of the run
 * that took one.
 *
 * Only a long-lived engine keeps spares (a `spire run` makes a run or two
 * and exits). A rename is atomic: a run's folder is whole or missing (its
 * attempt then makes it as before). Spares are 0700 like every folder Spire
 * makes; those of a process that is gone are removed by the next one that
 * makes spares in the data folder (told by the pid in their names, not by
 * whether that pid lives: it may be another process's by then), and an
 * engine that stops removes its own.
 */
import { readdirSync, renameSync, rmdirSync, rmSync, utimesSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { makeFolderTrees } from "../../files/folder-batch.js";
import { makePrivateDirSync, rememberMadeFolder } from "../../files/private.js";

/** Spares kept ready: the runs of a larger burst make their own folders, as before. */
const SPARES = 8;
/**
 * They are made again once no more than this many are left: the rest serve the runs that start while the new
 * ones are made (made only once the last was taken, one run in 6 or 7 of bench/api's found none).
 */
const LOW_WATER = SPARES / 2;
/** The spares are made again this long after one was taken: not beside the spawn it was taken for. */
const REFILL_AFTER_MS = 20;
/** After a spare could not be made (no room, say): the runs make their own folders until then. */
const RETRY_AFTER_MS = 60_000;
/** A spare's placeholder for the first task's own artifact folder, renamed to its name. */
const FIRST = ".first";

export class SpareRunFolders {
  readonly #dataDir: string;
  readonly #root: string;
  readonly #ready: string[] = [];
  #counter = 0;
  #timer: NodeJS.Timeout | undefined;
  #making = false;
  #staleRemoved = false;
  #retryAt = 0;
  #stopped = false;
  /** Those awaiting `refilled()`. */
  #awaitingRefill: (() => void)[] = [];

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
    this.#root = join(dataDir, "runs", ".spare");
  }

  /** Makes the first spares (the first run then finds one). */
  prime(): void {
    this.#makeSoon(0);
  }

  /**
   * Puts a spare in place as `runFolder` (the run's first attempt, on this machine), with `taskArtifacts`
   * (that task's own artifact folder) and `logFolder` (its log's, `tasks/` or a group's below it) in it.
   * False when there was no spare, or the run has its folder already (taken up again after a restart):
   * the caller makes the folders. Throws what making a group task's parents met.
   */
  take(runFolder: string, taskArtifacts: string, logFolder: string): boolean {
    const spare = this.#ready.pop();
    if (this.#ready.length <= LOW_WATER) this.#makeSoon(REFILL_AFTER_MS);
    if (spare === undefined) return false;
    try {
      renameSync(spare, runFolder);
      // A rename keeps the time the spare was made: the run's folder is new now (retention leaves new folders alone).
      const now = new Date();
      utimesSync(runFolder, now, now);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST") this.#ready.push(spare);
      return false;
    }
    const first = join(runFolder, "artifacts", FIRST);
    try {
      renameSync(first, taskArtifacts);
    } catch {
      // A task in a group (`g/t`): its parents are made too, and the placeholder must not stay among the tasks' folders.
      rmdirSync(first);
      makePrivateDirSync(taskArtifacts);
    }
    const tasks = join(runFolder, "tasks");
    if (logFolder !== tasks) makePrivateDirSync(logFolder);
    for (const folder of [runFolder, tasks, join(runFolder, "artifacts"), taskArtifacts, logFolder]) rememberMadeFolder(folder);
    return true;
  }

  /** Whether spares are being made, or are due to be. */
  get refilling(): boolean {
    return this.#timer !== undefined || this.#making;
  }

  /** Settles once the spares being made or due are made, or could not be (at once when none are). */
  refilled(): Promise<void> {
    if (!this.refilling) return Promise.resolve();
    this.#timer?.ref(); // the process waits for what it awaits
    return new Promise((resolve) => this.#awaitingRefill.push(resolve));
  }

  /** Makes no more spares and removes those made (the engine stops). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settleRefill();
    for (const spare of this.#ready.splice(0)) rmSync(spare, { recursive: true, force: true });
    try {
      rmdirSync(this.#root); // the data folder as it was, unless another process keeps spares there too
    } catch {
      // not empty, or never made
    }
  }

  #makeSoon(delayMs: number): void {
    if (this.#stopped || this.#timer !== undefined || this.#making || Date.now() < this.#retryAt) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#make();
    }, delayMs);
    if (this.#awaitingRefill.length === 0) this.#timer.unref();
  }

  async #make(): Promise<void> {
    const missing = SPARES - this.#ready.length;
    if (missing <= 0 || this.#stopped) return this.#settleRefill();
    this.#making = true;
    const spares = Array.from({ length: missing }, () => join(this.#root, `${process.pid}.${++this.#counter}`));
    try {
      if (!this.#staleRemoved) await this.#removeStale();
      // One trip through the thread pool for all of them, with `runs/` and `.spare/` if missing (folder-batch.ts).
      await makeFolderTrees(this.#dataDir, spares.flatMap((spare) => [join(spare, "tasks"), join(spare, "artifacts", FIRST)]));
      if (this.#stopped) await Promise.all(spares.map((spare) => rm(spare, { recursive: true, force: true })));
      else this.#ready.push(...spares);
    } catch {
      this.#retryAt = Date.now() + RETRY_AFTER_MS;
    } finally {
      this.#making = false;
    }
    // Runs that took spares meanwhile.
    if (this.#ready.length <= LOW_WATER) this.#makeSoon(REFILL_AFTER_MS);
    this.#settleRefill();
  }

  #settleRefill(): void {
    if (!this.refilling) for (const settle of this.#awaitingRefill.splice(0)) settle();
  }

  /** Spares of processes that are gone (killed, or stopped before they could remove them). */
  async #removeStale(): Promise<void> {
    this.#staleRemoved = true;
    let names: string[];
    try {
      names = readdirSync(this.#root);
    } catch {
      return; // none yet
    }
    // One engine a data folder (its supervisor's socket says so), and only an engine keeps spares: those named for
    // another pid were left by a process that is gone, even if that pid is another process's now.
    const stale = names.filter((name) => /^\d+\.\d+$/.test(name) && name.slice(0, name.indexOf(".")) !== String(process.pid));
    await Promise.all(stale.map((name) => rm(join(this.#root, name), { recursive: true, force: true }).catch(() => undefined)));
  }
}
