/**
 * Which notification a run's end sends (pure). `failure` covers failed and
 * interrupted runs (the run did not do its work, whatever the cause), as the
 * `after` trigger's `failure` does; a canceled run (someone's decision) and
 * a skipped one (refused by queue policy) send nothing.
 */
import type { RunState } from "../store/port.js";
import type { NotifyEvent } from "./message.js";

const FAILED = new Set<RunState>(["failed", "interrupted"]);

/** States that say how the pipeline is doing: the run before a success counts only if it ended in one of these. */
export const COUNTED_FOR_RECOVERY: RunState[] = ["succeeded", "failed", "interrupted"];

export function endedBadly(state: RunState): boolean {
  return FAILED.has(state);
}

/** A run that ended so (canceled, skipped) sends nothing, whatever its entries ask for. */
export function endSendsNothing(state: RunState): boolean {
  return state !== "succeeded" && !FAILED.has(state);
}

/**
 * The one event an entry (`on: [...]`) sends for a run that ended in
 * `state`; `recovered` when the previous counted run ended badly. A
 * recovery is reported once, as `recovered`, to an entry that asks for both
 * it and `success`.
 */
export function finishedEvent(on: readonly NotifyEvent[], state: RunState, recovered: boolean): "success" | "failure" | "recovered" | undefined {
  if (state === "succeeded") {
    if (recovered && on.includes("recovered")) return "recovered";
    return on.includes("success") ? "success" : undefined;
  }
  return endedBadly(state) && on.includes("failure") ? "failure" : undefined;
}
