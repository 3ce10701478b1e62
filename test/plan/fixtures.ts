/** Builds plans from spire.yaml-shaped objects, through the real schema. */
import assert from "node:assert/strict";
import { pipelineSchema } from "../../src/definitions/schema.js";
import { planPipeline, type PlanError } from "../../src/plan/plan.js";
import type { Plan, TaskState } from "../../src/plan/types.js";

export type PipelineInput = Parameters<typeof pipelineSchema.parse>[0];

export function parsePipeline(input: Record<string, unknown>) {
  return pipelineSchema.parse(input);
}

/** The plan of a pipeline with these tasks (and other pipeline keys); fails the test on planning errors. */
export function planOf(tasks: Record<string, unknown>, extra: Record<string, unknown> = {}, name = "p"): Plan {
  const result = planPipeline(name, parsePipeline({ ...extra, tasks }));
  if (!result.ok) assert.fail(`unexpected plan errors:\n${result.errors.map((error) => error.message).join("\n")}`);
  return result.plan;
}

/** The planning errors of a pipeline that must not plan. */
export function errorsOf(tasks: Record<string, unknown>, extra: Record<string, unknown> = {}, name = "p"): PlanError[] {
  const result = planPipeline(name, parsePipeline({ ...extra, tasks }));
  assert.equal(result.ok, false, "expected planning errors");
  return result.ok ? [] : result.errors;
}

export function states(entries: Record<string, TaskState>): Map<string, TaskState> {
  return new Map(Object.entries(entries));
}

/** The Gator job tree of ../shared/compat/gator/job_tree.yaml, written in Spire's format. */
export const GATOR_TREE = {
  inner: {
    env: { TEST_A: "hello_inner" },
    group: {
      delay_10: { exec: ["sleep", "10"] },
      say_hi: { needs: ["delay_10"], env: { TEST_C: "innermost" }, exec: ["echo", "hi"] },
    },
  },
  say_bye: { needs: ["inner"], env: { TEST_C: "direct" }, exec: ["bash", "-c", "exit 1"] },
  array: {
    on_fail: ["say_bye"],
    repeat: 4,
    group: {
      say_count: { exec: ["echo", "count"] },
      nested: { repeat: 3, group: { nested_say_count: { run: "echo inner count $SPIRE_ARRAY_INDEX" } } },
    },
  },
};
