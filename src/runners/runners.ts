/**
 * From a task's payload to the argv that runs it. Values are only ever
 * placed in argv items, never spliced into shell text: `run:` is the one
 * payload that is shell code, and it is the user's own text (templates in
 * it are refused when the file is validated).
 */
import type { TaskDef } from "../definitions/schema.js";
import { dockerCommand } from "./docker.js";
import { scriptCommand } from "./script.js";

export interface RunnerContext {
  /** The task's working directory (absolute); relative script paths are taken from here. */
  cwd: string;
  /** The node binary for `node:` and .js/.mjs/.ts scripts (usually process.execPath). */
  nodePath: string;
  /** The node version of nodePath, if it is not this process's (decides how .ts runs). */
  nodeVersion?: string;
  /** The attempt id (LaunchSpec.id): names docker containers so they can be found and removed. */
  id?: string;
}

export type RunnerCommand = { argv: string[] } | { error: string };

export function commandFor(task: TaskDef, context: RunnerContext): RunnerCommand {
  const args = task.args ?? [];
  switch (task.kind) {
    case "run":
      // Extra args become "$1"…; "spire" fills $0 so that they keep their numbers.
      return { argv: [task.shell ?? "sh", "-c", task.run ?? "", ...(args.length > 0 ? ["spire", ...args] : [])] };
    case "exec":
      return task.exec !== undefined && task.exec.length > 0 ? { argv: [...task.exec, ...args] } : { error: "exec needs at least one item (the program)" };
    case "python":
      return { argv: [task.interpreter ?? "python3", "-c", task.python ?? "", ...args] };
    case "node":
      // node reads options after -e's code until an operand: without "--", an argument such as --eval=… would be code.
      return { argv: [context.nodePath, "-e", task.node ?? "", ...(args.length > 0 ? ["--", ...args] : [])] };
    case "script":
      return scriptCommand(task.script ?? "", args, task.interpreter, context);
    case "uv":
      return { argv: ["uv", "run", "--script", task.uv ?? "", ...args] };
    case "docker":
      return task.docker === undefined ? { error: "docker needs an image" } : dockerCommand(task.docker, context.id);
    case "http":
      return { error: "http tasks are run by the engine" };
    case "sql":
      return { error: "sql tasks are run by the engine" };
    case "group":
      return { error: "a group has no command of its own; its tasks run instead" };
  }
}
