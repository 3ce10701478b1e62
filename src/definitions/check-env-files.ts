/** `env_file` paths must exist, relative to the definitions file. Reads the file system. */
import { access } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { CheckContext } from "./check-context.js";
import type { PathSegment } from "./errors.js";
import { rawPipelines, rawTasks } from "./raw-walk.js";

export async function checkEnvFiles(root: unknown, definitionsPath: string, context: CheckContext): Promise<void> {
  const base = dirname(resolve(definitionsPath));
  const wanted: { path: PathSegment[]; value: unknown }[] = [];
  for (const pipeline of rawPipelines(root)) {
    wanted.push({ path: [...pipeline.path, "env_file"], value: pipeline.pipeline["env_file"] });
    for (const task of rawTasks(pipeline)) wanted.push({ path: [...task.path, "env_file"], value: task.task["env_file"] });
  }
  for (const { path, value } of wanted) {
    if (typeof value !== "string" || value === "") continue;
    const full = resolve(base, value);
    try {
      await access(full);
    } catch {
      context.report(path, `env_file ${JSON.stringify(value)} does not exist (looked for ${full})`, {
        hint: "paths are relative to the definitions file",
      });
    }
  }
}
