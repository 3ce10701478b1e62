/**
 * `artifacts:` patterns are matched inside the task's working folder and
 * nowhere else: an absolute pattern or one with a `..` part would let a run
 * keep (and the API hand out) any file the engine can read.
 */
import type { CheckContext } from "./check-context.js";
import { rawPipelines, rawTasks } from "./raw-walk.js";

/** Why a pattern may not be used, or undefined when it stays inside the task's folder. */
export function artifactPatternProblem(pattern: string): string | undefined {
  // `!pattern` excludes files; what it names must stay inside as well.
  const body = pattern.startsWith("!") ? pattern.slice(1) : pattern;
  if (body.trim() === "") return "an artifact pattern is empty";
  if (body.startsWith("~")) return `${JSON.stringify(pattern)} starts at a home folder`;
  if (/^[/\\]/.test(body) || /^[A-Za-z]:/.test(body)) return `${JSON.stringify(pattern)} is an absolute path`;
  // `..` as a whole part, also inside braces (`{a,..}/x`) where a glob expands it into one.
  if (/(^|[/\\{,])\.\.($|[/\\},])/.test(body)) return `${JSON.stringify(pattern)} reaches outside the task's working folder`;
  if (body.includes("\0")) return "an artifact pattern cannot hold a NUL character";
  return undefined;
}

export function checkArtifacts(root: unknown, context: CheckContext): void {
  for (const pipeline of rawPipelines(root)) {
    for (const task of rawTasks(pipeline)) {
      const patterns = task.task["artifacts"];
      if (!Array.isArray(patterns)) continue;
      patterns.forEach((pattern, index) => {
        if (typeof pattern !== "string") return;
        const problem = artifactPatternProblem(pattern);
        if (problem === undefined) return;
        context.report([...task.path, "artifacts", index], problem, {
          expected: "a pattern relative to the task's cwd, such as dist/*.tar.gz",
          hint: "set the task's cwd to the folder the files are in, or have the task write them into $SPIRE_ARTIFACTS",
        });
      });
    }
  }
}
