/**
 * The secret values of a pipeline (SPEC §2: `env_file` values and the
 * `secrets:` taken from the engine's environment), so that what a notify
 * command prints is masked before it is recorded, as a task's output is.
 */
import { resolve } from "node:path";
import { Masker } from "../exec/masking.js";
import { loadEnvFile } from "../definitions/dotenv.js";
import type { PipelineDef, TaskDef } from "../definitions/schema.js";

export async function secretMasker(pipeline: PipelineDef, baseDir: string, environment: Record<string, string | undefined>): Promise<Masker> {
  const masker = new Masker();
  const holders: { env_file?: string | undefined; secrets?: string[] | undefined }[] = [pipeline, ...allTasks(pipeline.tasks)];
  for (const holder of holders) {
    for (const name of holder.secrets ?? []) {
      const value = environment[name];
      if (value !== undefined) masker.add(value);
    }
    if (holder.env_file === undefined) continue;
    // A file that cannot be read now was read when the run was made; nothing of it is known here to mask.
    const values = await loadEnvFile(resolve(baseDir, holder.env_file)).catch(() => ({}));
    for (const value of Object.values(values)) masker.add(value);
  }
  return masker;
}

function allTasks(tasks: Record<string, TaskDef>): TaskDef[] {
  return Object.values(tasks).flatMap((task) => [task, ...(task.group ? allTasks(task.group) : [])]);
}
