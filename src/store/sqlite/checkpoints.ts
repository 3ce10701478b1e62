/**
 * Who checkpoints the WAL. SQLite does it by default inside the commit that
 * takes the WAL past 1,000 pages, on the thread that commits: under a steady
 * stream of writes that is the engine's event loop, held 15–40 ms at a time
 * (bench/fire: a timer due then fires that late; the time is the fsyncs,
 * ~50 µs a page on this machine's disk). While the connection commits often,
 * a worker thread checkpoints instead (checkpoint-worker.ts) and the
 * connection's own checkpoints are off; once the writes slow down, the
 * worker ends and they are back on. The worker costs ~9 MB, so an engine at
 * rest keeps none.
 *
 * The WAL starts over from its beginning only at a commit that begins with
 * every page copied, which a steady stream of commits never offers to the
 * worker (the WAL grew to 500 MB in 40 s of bench/fire). So once it is big,
 * the worker copies all it can and steps aside, and this thread copies the
 * pages committed since, between two of its commits (see maintain).
 */
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { packageFile } from "../../files/package-root.js";

export interface CheckpointOptions {
  /** Commits a second, for `sustainedSeconds` seconds in a row, that hand checkpoints to the worker. */
  startAtCommitsPerSecond: number;
  sustainedSeconds: number;
  /** How often the worker checkpoints. */
  everyMs: number;
  /** The worker ends after `idleAfterMs` with fewer WAL pages a second than this. */
  slowPagesPerSecond: number;
  idleAfterMs: number;
  /** WAL size (pages) from which it is started over. */
  restartAtPages: number;
}

export const DEFAULT_CHECKPOINTS: CheckpointOptions = {
  startAtCommitsPerSecond: 100,
  // Not for a burst: applying 100 pipelines makes 100 commits at once, and a worker started
  // then would end 10 s later leaving ~4 MB behind in an engine about to rest (bench/api).
  sustainedSeconds: 3,
  everyMs: 100,
  // SQLite's own default checkpoints every 1,000 pages: at 100 pages a second, one every 10 s.
  slowPagesPerSecond: 100,
  idleAfterMs: 10_000,
  // 128 MB of 4 KiB pages.
  restartAtPages: 32_768,
};

/** What the worker is started with. */
export type CheckpointWorkerData = Omit<CheckpointOptions, "startAtCommitsPerSecond" | "sustainedSeconds"> & { file: string };

/**
 * Worker → connection: "big" (the WAL should start over), "ready" (copied all it could, now out of the way),
 * "slow" (writes have slowed down). Connection → worker: "aside" (a quiet moment: copy and hand over).
 */
export type CheckpointMessage = "big" | "ready" | "slow" | "aside";

/** Each step of starting a WAL over is taken within this long, even if the engine never says it is quiet. */
const MAINTAIN_WITHIN_MS = 2000;
/** How long the worker keeps out of the way after copying all it could ("ready"). */
export const STEP_ASIDE_MS = 300;

/** SQLite's default wal_autocheckpoint, restored when the worker ends. */
const AUTOCHECKPOINT_PAGES = 1000;

export class Checkpoints {
  private worker: Worker | undefined;
  /** Starting the WAL over: due (the worker said it is big), asked (the worker to step aside), ready (it has). */
  private restart: "due" | "asked" | "ready" | undefined;
  /** Takes the next step if `maintain` is not called first. */
  private restartTimer: NodeJS.Timeout | undefined;
  private windowStart = 0;
  private commits = 0;
  /** Seconds in a row, just before this one, with startAtCommitsPerSecond commits or more. */
  private busySeconds = 0;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly options: CheckpointOptions = DEFAULT_CHECKPOINTS,
  ) {}

  /** Whether a worker checkpoints now. */
  get offloaded(): boolean {
    return this.worker !== undefined;
  }

  /** Call after each commit. */
  committed(): void {
    if (this.worker || this.closed) return;
    const { startAtCommitsPerSecond, sustainedSeconds } = this.options;
    const now = performance.now();
    if (now - this.windowStart >= 1000) {
      // A busy second that ended just now adds to the run; a quiet one, or a gap, ends it.
      this.busySeconds = this.commits >= startAtCommitsPerSecond && now - this.windowStart < 2000 ? this.busySeconds + 1 : 0;
      this.windowStart = now;
      this.commits = 0;
    }
    if (++this.commits >= startAtCommitsPerSecond && this.busySeconds >= sustainedSeconds - 1) this.offload();
  }

  /**
   * The engine expects nothing for a while. A WAL due to start over goes in
   * two steps, each at such a moment: the worker is asked to copy all it can
   * and step aside; then, once it has, this thread copies the pages committed
   * since (outside any transaction: 5–40 ms, mostly the fsync of the WAL),
   * so that its next commit begins with nothing left to copy and starts the
   * WAL over.
   */
  maintain(): void {
    if (this.restart === "ready") return this.copyRest();
    if (this.restart !== "due" || !this.worker) return;
    this.restart = "asked";
    clearTimeout(this.restartTimer);
    // An answer that never comes (the worker ended meanwhile) does not stop the next restart.
    this.restartTimer = setTimeout(() => (this.restart = undefined), MAINTAIN_WITHIN_MS).unref();
    this.worker.postMessage("aside" satisfies CheckpointMessage);
  }

  private copyRest(): void {
    this.restart = undefined;
    clearTimeout(this.restartTimer);
    if (!this.db.open || this.db.inTransaction) return;
    try {
      this.db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // Busy or failing now: the worker says "big" again in a few seconds, and the WAL is only larger meanwhile.
    }
  }

  private offload(): void {
    const { everyMs, slowPagesPerSecond, idleAfterMs, restartAtPages } = this.options;
    const data: CheckpointWorkerData = { file: this.file, everyMs, slowPagesPerSecond, idleAfterMs, restartAtPages };
    let worker: Worker;
    try {
      worker = new Worker(packageFile("dist", "src", "store", "sqlite", "checkpoint-worker.js"), { workerData: data });
    } catch {
      return; // no thread to be had: checkpoints stay where they were
    }
    // A worker never keeps the process alive: an engine exits when its work is done.
    worker.unref();
    this.worker = worker;
    this.db.pragma("wal_autocheckpoint = 0");
    worker.on("message", (message: CheckpointMessage) => {
      if (message === "big" && this.restart === undefined) this.nextStep("due", MAINTAIN_WITHIN_MS);
      else if (message === "ready" && this.restart === "asked") this.nextStep("ready", STEP_ASIDE_MS / 2);
      else if (message === "slow") void this.takeBack(worker);
    });
    // A worker that fails (its connection could not open) leaves checkpoints to the connection again.
    worker.on("error", () => void this.takeBack(worker));
    worker.on("exit", () => void this.takeBack(worker));
  }

  private nextStep(step: "due" | "ready", withinMs: number): void {
    this.restart = step;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => this.maintain(), withinMs).unref();
  }

  private async takeBack(worker: Worker): Promise<void> {
    if (this.worker !== worker) return;
    this.worker = undefined;
    clearTimeout(this.restartTimer);
    this.restart = undefined;
    this.commits = 0;
    this.busySeconds = 0;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    await worker.terminate();
  }

  /**
   * No worker from now on. Returns a promise only when one has to end first
   * (before the connection closes, so that the last to close checkpoints the rest).
   */
  close(): Promise<void> | undefined {
    this.closed = true;
    return this.worker ? this.takeBack(this.worker) : undefined;
  }
}
