/**
 * Graph errors (unknown task names, cycles, …) come from the planner, which
 * works on the normalised model. Each is placed back on the YAML node that
 * holds the reference: `needs` in the model may be `on_pass` or
 * `depends_on` in the file.
 */
import type { CheckContext } from "./check-context.js";
import type { PathSegment } from "./errors.js";
import { planPipeline, type PlanError, type PlanLimits } from "../plan/plan.js";
import { rememberPlan } from "../plan/plan-cache.js";
import type { SpireFile } from "./schema.js";
import { valueAt } from "./zod-issues.js";

/** Fields the planner calls "needs", in the order the schema merges them. */
const NEEDS_ALIASES = ["needs", "on_pass", "depends_on"];

export function checkGraphs(file: SpireFile, raw: unknown, context: CheckContext, limits: PlanLimits = {}): void {
  for (const [name, pipeline] of Object.entries(file.pipelines)) {
    let result: ReturnType<typeof planPipeline>;
    try {
      result = planPipeline(name, pipeline, limits);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Until the planner lands, graph checks are simply not available.
      if (/not implemented/i.test(message)) return;
      context.report(["pipelines", name], `could not plan this pipeline (an internal error, please report it): ${message}`, {}, undefined, "key");
      continue;
    }
    // Runs of this very object (`spire run -f`, an apply) start from this plan instead of making it again.
    if (result.ok) rememberPlan(name, pipeline, result.plan);
    else for (const error of result.errors) reportPlanError(error, raw, context);
  }
}

function reportPlanError(error: PlanError, raw: unknown, context: CheckContext): void {
  const path = [...error.keyPath, ...fieldPath(error, raw)];
  const hint = error.suggestion !== undefined ? `did you mean \`${error.suggestion}\`?` : error.hint;
  const extra = hint !== undefined ? { hint } : {};
  // The planner may already say "did you mean" in its message; say it once, as the hint.
  const message = error.suggestion !== undefined ? error.message.replace(/;?\s*did you mean\b.*$/i, "") : error.message;
  context.report(path, message, extra, undefined, path.length === error.keyPath.length ? "key" : "value");
}

/** The path below the task to the node holding the reference. */
function fieldPath(error: PlanError, raw: unknown): PathSegment[] {
  if (error.field === undefined) return [];
  const fields = error.field === "needs" ? NEEDS_ALIASES : [error.field];
  for (const field of fields) {
    const segments = parseField(field);
    const value = valueAt(raw, [...error.keyPath, ...segments]);
    if (value === undefined) continue;
    if (Array.isArray(value) && error.reference !== undefined) {
      const index = value.indexOf(error.reference);
      if (index >= 0) return [...segments, index];
      continue; // the reference is in another alias
    }
    return segments;
  }
  return parseField(fields[0]!);
}

/** "env.KEY" → ["env", "KEY"]; "exec[2]" → ["exec", 2]. */
export function parseField(field: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const match of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[1] !== undefined) segments.push(match[1]);
  }
  return segments;
}
