/**
 * Definitions fetched from a URL have no folder on this machine, so a
 * relative path in them (env_file, script, uv, an exec program such as
 * ./job.sh, cwd, a watched path) would point somewhere by accident: into the
 * engine's data folder, or wherever the CLI was started. They are refused;
 * an absolute path says plainly which local file is meant, and is kept.
 * (Resolving them against the URL would fetch more code from the network
 * behind the user's back.)
 */
import { isAbsolute } from "node:path";
import type { CheckContext } from "../check-context.js";
import { watchPaths } from "../check-event-triggers.js";
import type { PathSegment } from "../errors.js";
import { rawPipelines, rawTasks } from "../raw-walk.js";
import { isRecord } from "../is-record.js";

export function refuseRelativePaths(root: unknown, context: CheckContext): void {
  const refuse = (path: PathSegment[], value: unknown, what: string): void => {
    if (typeof value !== "string" || value === "" || isAbsolute(value) || value.includes("${{")) return;
    context.report(path, `${what} ${JSON.stringify(value)} is a relative path, and definitions from a URL have no folder on this machine for it to be relative to`, {
      hint: "give an absolute path, or keep the definitions in a local file (-f FILE) beside the files they name",
    });
  };
  for (const pipeline of rawPipelines(root)) {
    refuse([...pipeline.path, "env_file"], pipeline.pipeline["env_file"], "env_file");
    const triggers = pipeline.pipeline["triggers"];
    for (const [index, trigger] of (Array.isArray(triggers) ? triggers : []).entries()) {
      if (!isRecord(trigger)) continue;
      for (const watched of watchPaths(trigger["watch"], [...pipeline.path, "triggers", index, "watch"])) refuse(watched.path, watched.text, "the watched path");
    }
    for (const { task, path } of rawTasks(pipeline)) {
      refuse([...path, "env_file"], task["env_file"], "env_file");
      refuse([...path, "cwd"], task["cwd"], "cwd");
      refuse([...path, "script"], task["script"], "script");
      refuse([...path, "uv"], task["uv"], "uv");
      const program = Array.isArray(task["exec"]) ? task["exec"][0] : undefined;
      // A bare name is looked up in PATH; only a path with a folder in it is a local file.
      if (typeof program === "string" && program.includes("/")) refuse([...path, "exec", 0], program, "the program");
    }
  }
}
