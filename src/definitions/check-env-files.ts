/**
 * `env_file` paths must name readable files of KEY=VALUE lines, relative to
 * the definitions file: checked when the file is, so that a schedule never
 * applies with runs that could not be made (a folder, a bad line). A line's
 * text is never shown: env files hold secrets. Reads the file system.
 */
import { dirname, resolve } from "node:path";
import type { CheckContext } from "./check-context.js";
import { envFileReadProblem, parseDotenv, readEnvFileText } from "./dotenv.js";
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
    // A FIFO or a device is read when a run is made, not here: reading it now would wait for its writer.
    const read = await readEnvFileText(full, "skip");
    if ("skipped" in read) continue;
    if ("problem" in read) {
      context.report(path, `env_file ${JSON.stringify(value)} ${read.problem} (looked for ${full})`, {
        hint: read.problem === envFileReadProblem("ENOENT") ? "paths are relative to the definitions file" : "env_file names a file of KEY=VALUE lines that the user who runs Spire can read",
      });
      continue;
    }
    const parsed = parseDotenv(read.text);
    if (parsed.ok) continue;
    const lines = parsed.errors.map((error) => `line ${error.line}: ${error.message}`);
    context.report(path, `env_file ${JSON.stringify(value)} has lines Spire cannot read (${lines.slice(0, 5).join("; ")}${lines.length > 5 ? `; and ${lines.length - 5} more` : ""})`, {
      hint: "each line is KEY=VALUE, on one line (an `export ` before it, `#` comments and a quoted value are fine; a value cannot go on to the next line)",
    });
  }
}
