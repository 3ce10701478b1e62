/** Whether a task's attempt that ended is tried again, and after how long: its `retries`. Pure. */
import type { Retries } from "../../definitions/schema.js";
import type { AttemptEnding } from "./task-row.js";

/**
 * The delay before attempt `attempt + 1`, or undefined when there is none:
 * only a failure, a timeout or an interruption is retried, never while the
 * run is stopping, never an attempt that could not start here at all, and
 * at most `retries.max` times, each delay `factor` times the last, up to `max_delay`.
 */
export function retryDelay(retries: Retries | undefined, attempt: number, ending: Pick<AttemptEnding, "state" | "hopeless">, stopping: boolean): number | undefined {
  const retryable = (ending.state === "failed" || ending.state === "timed_out" || ending.state === "interrupted") && !stopping && !ending.hopeless;
  if (!retryable || retries === undefined || attempt > retries.max) return undefined;
  return Math.min(retries.backoff * retries.factor ** (attempt - 1), retries.max_delay);
}
