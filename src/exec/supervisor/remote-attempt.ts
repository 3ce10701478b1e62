/** The engine-side handle of an attempt that runs in a supervisor. */
import type { AttemptReport, LaunchEvents, TaskHandle } from "../port.js";

/** The report of an attempt whose end nobody saw (the supervisor died, or refused it). */
export function lostReport(reason: string, pid: number | null, startedAt: number | undefined): AttemptReport {
  const now = Date.now();
  return { state: "failed", exitCode: null, signal: null, reason, pid, startedAt: startedAt ?? now, finishedAt: now, warnings: 0, errors: 0, metrics: {}, outputs: {}, tail: [] };
}

export class RemoteAttempt implements TaskHandle {
  readonly id: string;
  readonly done: Promise<AttemptReport>;
  readonly events: LaunchEvents;
  pid: number | null = null;
  startedAt: number | undefined;
  #resolve!: (report: AttemptReport) => void;
  #sendCancel: ((reason: string) => void) | undefined;

  constructor(id: string, events: LaunchEvents, sendCancel: ((reason: string) => void) | undefined) {
    this.id = id;
    this.events = events;
    this.#sendCancel = sendCancel;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Sent once: the supervisor's cancel is idempotent, the wire need not carry repeats. */
  cancel(reason: string): void {
    const send = this.#sendCancel;
    this.#sendCancel = undefined;
    send?.(reason);
  }

  started(pid: number, startedAt: number): void {
    this.pid = pid;
    this.startedAt = startedAt;
    this.events.onStart?.(pid, startedAt);
  }

  settle(report: AttemptReport): void {
    this.#sendCancel = undefined;
    this.#resolve(report);
  }

  /** Ends the handle without a report from the supervisor. */
  lose(reason: string): void {
    this.settle(lostReport(reason, this.pid, this.startedAt));
  }
}
