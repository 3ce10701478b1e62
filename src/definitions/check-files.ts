/**
 * The checks that read the file system, for a definitions file on disk:
 * files it names must exist (env_file, scripts, sql files); a watched path that does
 * not exist yet is allowed, with a warning in case it is a slip.
 */
import { access, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { CheckContext } from "./check-context.js";
import { checkEnvFiles } from "./check-env-files.js";
import { watchPathProblem, watchPaths } from "./check-event-triggers.js";
import { checkScripts } from "./check-scripts.js";
import { rawPipelines, rawTasks } from "./raw-walk.js";
import { isRecord } from "./zod-issues.js";

export async function checkFiles(root: unknown, definitionsPath: string, context: CheckContext): Promise<void> {
  const base = dirname(resolve(definitionsPath));
  await checkEnvFiles(root, definitionsPath, context);
  await checkScripts(root, base, context);
  await checkSqlFiles(root, base, context);
  await warnAboutMissingWatchPaths(root, base, context);
}

/** `sql: { file }`: read when the task runs, relative to the definitions file (not the task's cwd). */
async function checkSqlFiles(root: unknown, base: string, context: CheckContext): Promise<void> {
  for (const pipeline of rawPipelines(root)) {
    for (const { task, path } of rawTasks(pipeline)) {
      const file = isRecord(task["sql"]) ? task["sql"]["file"] : undefined;
      if (typeof file !== "string" || file === "" || file.includes("${{")) continue;
      const full = resolve(base, file);
      const info = await stat(full).catch(() => undefined);
      if (info === undefined || !info.isFile()) {
        context.report([...path, "sql", "file"], `${JSON.stringify(file)} ${info === undefined ? "does not exist" : "is not a file"} (looked for ${full})`, { hint: "paths are relative to the definitions file" });
      }
    }
  }
}

async function warnAboutMissingWatchPaths(root: unknown, base: string, context: CheckContext): Promise<void> {
  for (const pipeline of rawPipelines(root)) {
    const triggers = pipeline.pipeline["triggers"];
    if (!Array.isArray(triggers)) continue;
    for (const [index, trigger] of triggers.entries()) {
      if (!isRecord(trigger)) continue;
      for (const watched of watchPaths(trigger["watch"], [...pipeline.path, "triggers", index, "watch"])) {
        if (watched.text === "" || watchPathProblem(watched.text) !== undefined) continue;
        const full = resolve(base, watched.text);
        const exists = await access(full).then(() => true, () => false);
        if (!exists) {
          context.warn(watched.path, `${JSON.stringify(watched.text)} does not exist yet (looked for ${full}); the trigger starts watching it when it appears`, {
            hint: "paths are relative to the definitions file",
          });
        }
      }
    }
  }
}
