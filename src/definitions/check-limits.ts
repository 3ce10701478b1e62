/**
 * Bounds on what one definitions file may ask of the engine, checked on the
 * raw data before the schema: a small file must not be able to make the
 * engine (or `spire validate`) spend unbounded memory or time. The biggest
 * amplifier, repeat and matrix, is counted by the planner (plan/count.ts,
 * the cap is an engine option); here are the others:
 *
 * - nesting of groups: every recursive walk (the schema's among them) would
 *   overflow the stack on a file nested a few hundred levels deep;
 * - pipelines per file and triggers per pipeline: each costs the scheduler
 *   and the store for as long as it is applied.
 *
 * The walk itself is iterative, so that it cannot overflow on what it
 * refuses. Numbers inside a definition that would multiply work over time
 * (retries.max, catchup_limit) are bounded by the schema.
 */
import type { CheckContext } from "./check-context.js";
import type { PathSegment } from "./errors.js";
import { entriesOf, rawPipelines } from "./raw-walk.js";
import { isRecord } from "./zod-issues.js";

export const MAX_GROUP_DEPTH = 32;
export const MAX_PIPELINES = 1_000;
export const MAX_TRIGGERS = 100;

/** Reports what is over a limit; false when the file must not be checked further (the checks would cost what the limits prevent). */
export function checkLimits(root: unknown, context: CheckContext): boolean {
  const before = context.errors.length;
  const pipelines = rawPipelines(root);
  if (pipelines.length > MAX_PIPELINES) {
    context.report(["pipelines"], `the file has ${pipelines.length} pipelines; one file may hold at most ${MAX_PIPELINES}`, {
      hint: "split them over several files, one namespace each (spire apply -f FILE --ns NAME)",
    }, undefined, "key");
    return false;
  }
  for (const pipeline of pipelines) {
    const triggers = pipeline.pipeline["triggers"];
    if (Array.isArray(triggers) && triggers.length > MAX_TRIGGERS) {
      context.report([...pipeline.path, "triggers"], `the pipeline has ${triggers.length} triggers; a pipeline may have at most ${MAX_TRIGGERS}`, {
        hint: "a cron expression can name many times at once (0 8,12,18 * * 1-5); or split the pipeline",
      }, undefined, "key");
    }
    checkDepth(pipeline.pipeline["tasks"], [...pipeline.path, "tasks"], context);
  }
  return context.errors.length === before;
}

/** The first task nested deeper than MAX_GROUP_DEPTH, reported at the group that holds it. */
function checkDepth(tasks: unknown, path: PathSegment[], context: CheckContext): void {
  const pending: { tasks: unknown; path: PathSegment[]; depth: number }[] = [{ tasks, path, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const [name, task] of entriesOf(next.tasks)) {
      if (!isRecord(task) || task["group"] === undefined) continue;
      const groupPath = [...next.path, name, "group"];
      if (next.depth >= MAX_GROUP_DEPTH) {
        context.report(groupPath, `groups are nested more than ${MAX_GROUP_DEPTH} levels deep here`, {
          hint: "flatten the nesting: tasks of one group can depend on each other with needs:",
        }, undefined, "key");
        return;
      }
      pending.push({ tasks: task["group"], path: groupPath, depth: next.depth + 1 });
    }
  }
}
