/**
 * Files a task runs: `script:` and `uv:`, and an `exec:` program given as a
 * path (`./job.sh`, also what a Gator `command:` becomes). Each must exist,
 * relative to the task's folder (its `cwd`, by default the definitions
 * file's); one that is executed directly must be executable. Reads the file
 * system.
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { extname, resolve } from "node:path";
import type { CheckContext } from "./check-context.js";
import type { PathSegment } from "./errors.js";
import { rawPipelines, rawTasks } from "./raw-walk.js";

/** Extensions the script runner hands to an interpreter (runners/script.ts); anything else is executed itself. */
const INTERPRETED = new Set([".py", ".js", ".mjs", ".cjs", ".ts", ".mts"]);

interface RunFile {
  path: PathSegment[];
  /** As written. */
  value: string;
  /** The folder it is relative to, as written (`cwd:`), if not the definitions file's. */
  cwd: string | undefined;
  /** Executed itself, so it needs the execute permission. */
  executed: boolean;
}

export async function checkScripts(root: unknown, base: string, context: CheckContext): Promise<void> {
  for (const file of runFiles(root)) {
    const full = resolve(base, file.cwd ?? ".", file.value);
    const relative = file.cwd === undefined ? "paths are relative to the definitions file" : `paths are relative to the task's cwd (${file.cwd})`;
    const info = await stat(full).catch(() => undefined);
    if (info === undefined) {
      context.report(file.path, `${JSON.stringify(file.value)} does not exist (looked for ${full})`, { hint: relative });
    } else if (!info.isFile()) {
      context.report(file.path, `${JSON.stringify(file.value)} is not a file (looked for ${full})`, { hint: relative });
    } else if (file.executed && !(await access(full, constants.X_OK).then(() => true, () => false))) {
      context.report(file.path, `${JSON.stringify(file.value)} is not executable, and it is run as a program (by its #! line)`, {
        hint: `make it executable: chmod +x ${full}`,
      });
    }
  }
}

function runFiles(root: unknown): RunFile[] {
  const found: RunFile[] = [];
  for (const pipeline of rawPipelines(root)) {
    for (const { task, path } of rawTasks(pipeline)) {
      const cwd = typeof task["cwd"] === "string" ? task["cwd"] : undefined;
      // A template is filled in per run: what it names cannot be known here.
      if (cwd !== undefined && hasTemplate(cwd)) continue;
      const add = (at: PathSegment[], value: unknown, executed: boolean) => {
        if (typeof value === "string" && value !== "" && !hasTemplate(value)) found.push({ path: at, value, cwd, executed });
      };
      const interpreter = typeof task["interpreter"] === "string";
      const script = task["script"];
      add([...path, "script"], script, !interpreter && typeof script === "string" && !INTERPRETED.has(extname(script).toLowerCase()));
      add([...path, "uv"], task["uv"], false);
      const program = Array.isArray(task["exec"]) ? task["exec"][0] : undefined;
      // Only a path: a bare name is looked up in PATH when the task starts.
      if (typeof program === "string" && program.includes("/") && !program.includes("$")) add([...path, "exec", 0], program, true);
    }
  }
  return found;
}

function hasTemplate(text: string): boolean {
  return text.includes("${{");
}
