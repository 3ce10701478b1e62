/**
 * The log and records of a task done in the engine's own process (`http:`,
 * `sql:`): its output goes through the same capture as a process's
 * (masking, markers, patterns, tail), and the records file beside the log
 * gets a started and a result record, as the supervisor writes for
 * processes, so that an engine killed mid-way finds the attempt interrupted
 * at its next start instead of doing it again.
 */
import type { AttemptReport, LaunchEvents, LaunchSpec } from "./port.js";
import { OutputCapture } from "./capture.js";
import { LogWriter } from "./log-writer.js";
import { appendRecord } from "./supervisor/attempt-files.js";

export class InProcessAttempt {
  readonly startedAt = Date.now();
  readonly capture: OutputCapture;
  readonly #writer: LogWriter;
  readonly #logFile: string;

  /** `secrets`: more values to mask than the spec's (a password read from a URL). */
  constructor(spec: LaunchSpec, events: LaunchEvents, secrets: string[] = []) {
    this.#logFile = spec.logFile;
    this.#writer = new LogWriter(spec.logFile);
    this.capture = new OutputCapture(secrets.length === 0 ? spec : { ...spec, secrets: [...spec.secrets, ...secrets] }, this.#writer, events);
    appendRecord(spec.logFile, { started: { pid: process.pid, startedAt: this.startedAt, pidStartTime: null } });
    events.onStart?.(process.pid, this.startedAt);
  }

  /** Closes the log and records how it ended; `outputs` add to those of ::output:: lines. */
  async finish(state: AttemptReport["state"], reason: string | null, outputs: Record<string, string> = {}): Promise<AttemptReport> {
    const { capture } = this;
    capture.end("stdout");
    await this.#writer.close();
    const report: AttemptReport = {
      state,
      exitCode: null,
      signal: null,
      reason: state === "succeeded" ? null : capture.mask(reason ?? ""),
      pid: null,
      startedAt: this.startedAt,
      finishedAt: Date.now(),
      warnings: capture.warnings,
      errors: capture.errors,
      metrics: capture.metrics.toRecord(),
      outputs: { ...capture.markerOutputs, ...outputs },
      tail: capture.tail(),
      ...capture.keptMessages(),
    };
    appendRecord(this.#logFile, { result: report });
    return report;
  }
}
