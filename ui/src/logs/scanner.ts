/**
 * Starts scan jobs (scan-jobs.ts) in a worker of their own, made at the
 * first job and ended with the log view; in the page itself when a worker
 * cannot be made or fails to load. A refusal comes back as the ApiError it
 * was; a 401 sends the page to the login as any other request does (the
 * worker's own request cannot), by asking the engine who is logged in.
 */
import { ApiError } from "../api/api-error";
import { get } from "../api/client";
import { runJob, type ScanJob, type ScanMessage } from "./scan-jobs";

export type ScanEvent = Exclude<ScanMessage, { kind: "error" }> | { kind: "error"; error: ApiError };

interface Running {
  job: ScanJob;
  deliver: (message: ScanMessage) => void;
  /** Set when the job runs in the page. */
  controller?: AbortController;
}

export class Scanner {
  /** undefined: not made yet; null: none to be had (run jobs in the page). */
  private worker: Worker | undefined | null;
  private next = 1;
  private readonly running = new Map<number, Running>();

  /** Starts a job; `onEvent` hears of it until it is done, fails, or is cancelled with the returned function. */
  start(job: ScanJob, onEvent: (event: ScanEvent) => void): () => void {
    const id = this.next++;
    const deliver = (message: ScanMessage) => {
      if (!this.running.has(id)) return;
      if (message.kind === "done" || message.kind === "error") this.running.delete(id);
      if (message.kind !== "error") return onEvent(message);
      const { code, message: text, details, status } = message.error;
      if (status === 401) void get("/session").catch(() => {});
      onEvent({ kind: "error", error: new ApiError(code, text, details, status) });
    };
    const entry: Running = { job, deliver };
    this.running.set(id, entry);
    const worker = this.ensureWorker();
    if (worker) worker.postMessage({ id, job });
    else this.runHere(entry);
    return () => {
      if (!this.running.delete(id)) return;
      entry.controller?.abort();
      if (!entry.controller) this.worker?.postMessage({ id, job: "cancel" });
    };
  }

  dispose(): void {
    for (const entry of this.running.values()) entry.controller?.abort();
    this.running.clear();
    this.worker?.terminate();
    this.worker = null;
  }

  private runHere(entry: Running): void {
    entry.controller = new AbortController();
    void runJob(entry.job, entry.deliver, entry.controller.signal);
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker === undefined) {
      try {
        const worker = new Worker(new URL("./scan-worker.ts", import.meta.url), { type: "module", name: "spire-log-scan" });
        worker.onmessage = (event: MessageEvent<{ id: number } & ScanMessage>) => this.running.get(event.data.id)?.deliver(event.data);
        // The worker did not load (or broke): what it was doing is done in the page instead.
        worker.onerror = () => {
          worker.terminate();
          this.worker = null;
          for (const entry of this.running.values()) if (!entry.controller) this.runHere(entry);
        };
        this.worker = worker;
      } catch {
        this.worker = null;
      }
    }
    return this.worker ?? undefined;
  }
}
