/**
 * Runs that start runs: an `after` trigger's follower, and a run a task or a
 * notify command of another run asks for (`spire run` there sends its
 * SPIRE_RUN_ID as caused_by). Each counts one more than the run that caused
 * it (its trigger's `depth`), and a chain stops at MAX_RUN_CHAIN: a pipeline
 * that starts itself, directly or through others, is a mistake far more
 * often than a wish (`every: …, after_finish: true` repeats one on purpose).
 */
import type { RunRow } from "../../store/port.js";

/** Runs started one by another in a row, at most. */
export const MAX_RUN_CHAIN = 32;

/** How many runs led to this one (0 when a person, a schedule or an outside event started it). */
export function chainDepth(run: Pick<RunRow, "trigger">): number {
  const depth = run.trigger["depth"];
  return typeof depth === "number" && Number.isInteger(depth) && depth > 0 ? depth : 0;
}
