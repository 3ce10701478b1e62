/**
 * Plans by definition object. Planning is pure and nothing changes a plan,
 * so a definition is planned once however often it is asked for: a 1,000-task
 * pipeline took 25–60 ms a plan on a slow VM, and `spire run` planned it four
 * times before its first task (bench/dag). The definitions file's check plans
 * each pipeline with the task cap and leaves the plans here (rememberPlan);
 * the engine's runs of that same object, and of the row it remembers, take
 * them from here (planOnce).
 */
import { ALREADY_CHECKED, planPipeline, type PlanResult } from "./plan.js";
import type { PipelineDef, Plan } from "./types.js";

const plans = new WeakMap<PipelineDef, Map<string, Plan>>();

/** A plan made elsewhere (the check, under its task cap) for planOnce to give out. */
export function rememberPlan(name: string, pipeline: PipelineDef, plan: Plan): void {
  let byName = plans.get(pipeline);
  if (byName === undefined) plans.set(pipeline, (byName = new Map()));
  byName.set(name, plan);
}

/** The plan already made of this object, if any (planned nothing). */
export function knownPlan(name: string, pipeline: PipelineDef): Plan | undefined {
  return plans.get(pipeline)?.get(name);
}

/** The plan of a definition that was checked when it was applied (no task cap), made once per object. */
export function planOnce(name: string, pipeline: PipelineDef): PlanResult {
  const known = knownPlan(name, pipeline);
  if (known !== undefined) return { ok: true, plan: known };
  const planned = planPipeline(name, pipeline, ALREADY_CHECKED);
  if (planned.ok) rememberPlan(name, pipeline, planned.plan);
  return planned;
}
