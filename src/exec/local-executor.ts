/**
 * The Executor that runs tasks as child processes of this process.
 *
 * It imports nothing from the engine or the store: specs and reports are
 * plain JSON-serialisable values, so the same class can later live in a
 * small supervisor process that owns the process groups and outlives the
 * engine (the engine would send LaunchSpec / cancel over a local socket and
 * receive onStart / onProgress / AttemptReport back).
 */
import type { AttemptReport, Executor, LaunchEvents, LaunchSpec, TaskHandle } from "./port.js";
import { Attempt } from "./attempt.js";
import { LingerWatch } from "./linger-watch.js";

export class LocalExecutor implements Executor {
  readonly #running = new Set<Attempt>();
  readonly #lingerWatch = new LingerWatch();
  #shutdownReason: string | undefined;

  /** Starts one attempt. Never throws: a command that cannot start ends as a failed attempt. */
  launch(spec: LaunchSpec, events: LaunchEvents = {}): TaskHandle {
    const attempt = new Attempt(spec, events, this.#lingerWatch);
    if (this.#shutdownReason !== undefined) {
      attempt.refuse(this.#shutdownReason);
      return attempt;
    }
    this.#running.add(attempt);
    void attempt.done.then(() => this.#running.delete(attempt));
    attempt.start();
    return attempt;
  }

  /** Attempts started and not yet done. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** Cancels every attempt (SIGTERM, SIGKILL after each one's grace) and waits until all are gone. Later launches are refused. */
  async shutdown(reason = "canceled: executor shut down"): Promise<void> {
    this.#shutdownReason = reason;
    const pending: Promise<AttemptReport>[] = [];
    for (const attempt of this.#running) {
      attempt.cancel(reason);
      pending.push(attempt.done);
    }
    await Promise.all(pending);
  }
}
