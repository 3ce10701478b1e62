/**
 * Triggers that fire on events: what a `watch` path can be, and which
 * pipeline an `after` follows. Pure; whether a watched path exists is
 * check-files.ts's (a path that does not exist yet is allowed by design),
 * and a pipeline in another namespace is the engine's to look for at apply.
 */
import type { CheckContext } from "./check-context.js";
import type { PathSegment } from "./errors.js";
import { rawPipelines } from "./raw-walk.js";
import { suggest } from "./suggest.js";
import { isRecord } from "./zod-issues.js";

/** Characters of glob patterns; chokidar 4 (and so Spire) watches paths, not patterns. */
const GLOB = /[*?[\]{}]/;

export function checkEventTriggers(root: unknown, context: CheckContext): void {
  const pipelines = rawPipelines(root);
  const names = pipelines.map((pipeline) => pipeline.name);
  for (const pipeline of pipelines) {
    const triggers = pipeline.pipeline["triggers"];
    if (!Array.isArray(triggers)) continue;
    triggers.forEach((trigger, index) => {
      if (!isRecord(trigger)) return;
      const path = [...pipeline.path, "triggers", index];
      for (const watched of watchPaths(trigger["watch"], [...path, "watch"])) checkWatchPath(watched.text, watched.path, context);
      const after = trigger["after"];
      if (isRecord(after) && typeof after["pipeline"] === "string") checkAfter(after["pipeline"], [...path, "after", "pipeline"], names, context);
    });
  }
}

/** The string entries of a `watch:` (one path or a list), each with its key path. */
export function watchPaths(value: unknown, path: PathSegment[]): { text: string; path: PathSegment[] }[] {
  if (typeof value === "string") return [{ text: value, path }];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index) => (typeof item === "string" ? [{ text: item, path: [...path, index] }] : []));
}

function checkWatchPath(text: string, path: PathSegment[], context: CheckContext): void {
  const problem = watchPathProblem(text);
  if (problem === undefined) return;
  const position = problem.at === undefined ? undefined : context.inside(path, problem.at);
  context.report(path, problem.message, { ...(problem.expected ? { expected: problem.expected } : {}), ...(problem.hint ? { hint: problem.hint } : {}) }, position);
}

const A_PATH = "a file or folder, relative to the definitions file";

/** What is wrong with a watched path as written, or undefined when it is a path (existing or not). */
export function watchPathProblem(text: string): { message: string; expected?: string; hint?: string; at?: string } | undefined {
  if (text === "") return undefined; // the schema says it must not be empty
  if (text.trim() === "") return { message: "a watched path cannot be blank", expected: A_PATH };
  if (text.includes("\0")) return { message: "a watched path cannot hold a NUL character", expected: A_PATH };
  const glob = GLOB.exec(text);
  if (glob !== null) {
    return {
      message: `${JSON.stringify(text)} is a pattern; watch takes files and folders, and would look for a file of exactly this name`,
      hint: `watch the folder instead (watch: ${folderBeforePattern(text)}): a change anywhere below it counts, and the run's trigger lists the changed paths`,
      at: glob[0],
    };
  }
  if (/^~|\$/.test(text)) {
    return {
      message: `${JSON.stringify(text)} is not expanded: ~ and $VARIABLES are read literally in watch paths`,
      hint: "write the full path, or one relative to the definitions file",
    };
  }
  return undefined;
}

/** `./inbox/*.csv` → `./inbox`; a pattern in the first part → `.` (the definitions file's folder). */
function folderBeforePattern(text: string): string {
  const parts = text.split("/");
  const first = parts.findIndex((part) => GLOB.test(part));
  const folder = parts.slice(0, first).join("/");
  return folder === "" ? (text.startsWith("/") ? "/" : ".") : folder;
}

/**
 * `pipeline: name` follows a pipeline of this file (its namespace); a name
 * that is not here is a slip, said with the closest name. `ns/name` is
 * looked for by the engine when the file is applied.
 */
function checkAfter(target: string, path: PathSegment[], names: string[], context: CheckContext): void {
  if (target.includes("/") || names.includes(target)) return;
  const guess = suggest(target, names);
  context.report(path, `no pipeline ${JSON.stringify(target)} in this file`, {
    expected: names.length > 0 && names.length <= 15 ? `one of: ${names.join(", ")}, or namespace/name for a pipeline in another namespace` : "a pipeline of this file, or namespace/name for one in another namespace",
    hint: guess !== undefined ? `did you mean \`${guess}\`?` : "a pipeline of another file is named with its namespace: namespace/name (spire ns lists them)",
  });
}
