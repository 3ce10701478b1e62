/**
 * STUB — being written. Expands a pipeline into its task graph.
 */
import type { PipelineDef, Plan } from "./types.js";

export interface PlanError {
  /** Key path from the file root to the task concerned: ["pipelines", "p", "tasks", "a", "group", "b"]. */
  keyPath: (string | number)[];
  /** The field holding the bad reference, when there is one: "needs" (covers on_pass, depends_on), "on_fail", "on_done", "env.KEY", "exec[2]", "cwd", … */
  field?: string;
  /** The name as written, for unknown references. */
  reference?: string;
  code: "unknown_task" | "cycle" | "self_reference" | "not_upstream" | "duplicate_path";
  message: string;
  /** "did you mean …?" candidate. */
  suggestion?: string;
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; errors: PlanError[] };

export function planPipeline(_name: string, _pipeline: PipelineDef): PlanResult {
  throw new Error("planPipeline: not implemented yet");
}
