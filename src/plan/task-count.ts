import type { SpireFile } from "../definitions/schema.js";
import { ALREADY_CHECKED, planPipeline } from "./plan.js";

/** The tasks a checked definitions file plans to, over all its pipelines (what `spire validate` reports). */
export function plannedTaskCount(file: SpireFile): number {
  let tasks = 0;
  for (const [name, pipeline] of Object.entries(file.pipelines)) {
    const planned = planPipeline(name, pipeline, ALREADY_CHECKED);
    if (planned.ok) tasks += planned.plan.nodes.filter((node) => node.type === "task").length;
  }
  return tasks;
}
