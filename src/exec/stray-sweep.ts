/**
 * The last line of "no descendant survives": a process that left the
 * group, closed its output and was re-parented (a classic daemon) is
 * invisible when its attempt ends normally. Scanning /proc at every task end
 * would cost milliseconds per task, so one sweep, at most every couple of
 * seconds after attempts ended, kills every process still carrying an exec
 * id of this executor whose attempt is no longer running.
 */
import { processesWithEnvPrefix, signalProcess, HAS_PROC } from "./process-tree.js";

const SWEEP_DELAY_MS = 1000;

export class StraySweep {
  readonly #prefix: string;
  readonly #isRunning: (entry: string) => boolean;
  #timer: NodeJS.Timeout | undefined;

  /** `prefix`: the start of every environment entry of this executor ("SPIRE_EXEC_ID=<executor>."). */
  constructor(prefix: string, isRunning: (entry: string) => boolean) {
    this.#prefix = prefix;
    this.#isRunning = isRunning;
  }

  /** An attempt ended: sweep soon (one timer, however many end meanwhile). */
  schedule(): void {
    if (!HAS_PROC || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.sweep(), SWEEP_DELAY_MS);
    this.#timer.unref();
  }

  /** Kills strays now (used by shutdown). */
  sweep(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const { info, entry } of processesWithEnvPrefix(this.#prefix)) if (!this.#isRunning(entry)) signalProcess(info, "SIGKILL");
  }
}
