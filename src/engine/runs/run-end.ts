/**
 * How a run ends, once nothing more starts in it: a stop that was asked for
 * decides; else a run whose only failures are interruptions (not its tasks'
 * own doing) is interrupted; else the planner's outcome. Pure: the
 * RunController writes the change and acts on it once stored.
 */
import type { RunState, StateChange } from "../../store/port.js";
import type { Plan, TaskState } from "../../plan/types.js";
import { onlyInterruptions } from "./attempt-endings.js";
import type { Counts } from "./rollup.js";

export interface RunEnd {
  change: StateChange;
  patch: { id: string; state: RunState; reason: string | null; finished_at: number } & Counts;
}

export interface RunEndInput {
  runId: string;
  /** The planner's outcome ("running" while tasks are left that will never run: the run failed). */
  outcome: "running" | "succeeded" | "failed" | "canceled";
  stop: { state: RunState; reason: string } | null;
  plan: Plan;
  states: ReadonlyMap<string, TaskState>;
  interruptions: ReadonlyMap<string, string>;
  counts: Counts;
  now: number;
  /** Whether a run ending in this state starts `after` followers. */
  followed?: ((state: RunState) => boolean) | undefined;
}

export function runEnd(input: RunEndInput): RunEnd {
  const { runId, outcome, stop, now } = input;
  const interruption = stop ? undefined : onlyInterruptions(input.plan, input.states, input.interruptions);
  const state: RunState = stop?.state ?? (interruption ? "interrupted" : outcome === "running" ? "failed" : outcome);
  const reason = stop?.reason ?? interruption ?? null;
  const patch = { id: runId, state, reason, finished_at: now, ...input.counts };
  const change: StateChange = { event: { run_id: runId, ts: now, type: "run.finished", task_path: null, attempt: null, data: { state, reason } }, run: patch };
  if (input.followed?.(state)) change.awaitsFollowers = true;
  return { change, patch };
}
