/**
 * Cancel through any engine. Only the engine that runs a run can stop its
 * tasks (they are its supervisor's, or its workers'): another engine asked
 * to cancel it records a request in the shared store, which tells the
 * owner at once (NOTIFY); the owner also looks every POLL_MS in case a hint
 * was lost, and once at start. The engine that was asked waits up to
 * WAIT_MS for the owner to take the request, so that its answer says what
 * happened: taken (the run is stopping, as when it is canceled where it
 * runs), not under way there any more, or not taken yet (that engine is
 * down or cut off: it acts on the request when it comes back).
 */
import type { RunRow } from "../../store/port.js";
import type { RunRequestOutcome, SharedStore } from "../../store/shared-port.js";
import type { RunRequestHints } from "../../cluster/port.js";

const POLL_MS = 2000;
const WAIT_MS = 5000;
/** How long a request waits for a run this engine owns to be taken up, before it is answered that nothing runs it here. */
const TAKE_UP_MS = 30_000;
const WAIT_STEP_MS = 50;

/** A cancel passed on to the engine that runs the run. */
export interface ForwardedRequest {
  /** That engine's lasting id (its data folder's engine-id). */
  engine: string;
  /** It took the request and canceled the run; false: it has not answered yet. */
  taken: boolean;
}

export interface RunRequestsDeps {
  shared: SharedStore;
  /** Told when another engine made a request of this one (absent: looks every POLL_MS only). */
  hints?: RunRequestHints | undefined;
  getRun(id: string): Promise<RunRow | undefined>;
  /** Cancels a run this engine holds; false when it does not hold it (it ended). */
  cancel(run: RunRow, reason: string): Promise<boolean>;
  now(): number;
  warn(message: string, details: object): void;
  waitMs?: number;
  pollMs?: number;
}

export class RunRequests {
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  private looking: Promise<void> | undefined;
  private again = false;

  constructor(private readonly deps: RunRequestsDeps) {}

  /**
   * Asks the engine that runs `run` to cancel it. Undefined when no other
   * engine runs it (it has ended, or it is no one's); "not_running" when the
   * owner answered that it no longer runs it.
   */
  async cancelElsewhere(run: RunRow, reason: string, by: string): Promise<ForwardedRequest | "not_running" | undefined> {
    const made = await this.deps.shared.requestRun({ run_id: run.id, kind: "cancel", reason, requested_by: by, requested_at: this.deps.now() });
    if (!made) return undefined;
    const deadline = performance.now() + (this.deps.waitMs ?? WAIT_MS);
    let outcome: RunRequestOutcome | null = made.outcome;
    while (outcome === null && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
      const now = await this.deps.shared.runRequest(made.id);
      // Gone with its run (retention removed the run meanwhile): nothing runs it any more.
      outcome = now === undefined ? "not_running" : now.outcome;
    }
    if (outcome === "not_running") return "not_running";
    return { engine: made.owner, taken: outcome === "done" };
  }

  /** Asks the engine that runs `runId` to cancel it, without waiting for its answer (a run preempted through another engine). */
  async ask(runId: string, reason: string, by: string): Promise<void> {
    await this.deps.shared.requestRun({ run_id: runId, kind: "cancel", reason, requested_by: by, requested_at: this.deps.now() });
  }

  /** Takes the requests made of this engine from now on (after its runs are taken up: a request for one of them finds it held). */
  start(): void {
    this.unlisten = this.deps.hints?.listen(() => this.look());
    this.timer = setInterval(() => this.look(), this.deps.pollMs ?? POLL_MS).unref();
    this.look();
  }

  async stop(): Promise<void> {
    this.unlisten?.();
    clearInterval(this.timer);
    this.timer = undefined;
    await this.looking;
  }

  /** One look at a time; a hint during a look makes one more after it. */
  private look(): void {
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = this.takeWaiting()
      .catch((error: Error) => this.deps.warn("requests made through other engines could not be read (looked at again soon)", { error: error.message }))
      .finally(() => {
        this.looking = undefined;
        if (this.again && this.timer) {
          this.again = false;
          this.look();
        }
      });
  }

  private async takeWaiting(): Promise<void> {
    for (const request of await this.deps.shared.waitingRequests()) {
      const run = await this.deps.getRun(request.run_id);
      const done = run !== undefined && (await this.deps.cancel(run, request.reason));
      // Under way and this engine's (the request came here), yet not held: it is being taken up (a take-over reads
      // and resumes the runs it takes one after another). Looked at again at the next look, for a while.
      if (!done && run !== undefined && (run.state === "queued" || run.state === "running") && this.deps.now() - request.requested_at < TAKE_UP_MS) continue;
      await this.deps.shared.settleRequest(request.id, done ? "done" : "not_running", this.deps.now());
    }
  }
}
