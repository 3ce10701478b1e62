/**
 * prunner tasks and `on_error` as Spire tasks:
 *
 *   script: [lines]   → run: (bash; stops at the first failing line, see prunner-script.ts)
 *   depends_on        → needs
 *   allow_failure     → allow_failure (every line runs, as in prunner)
 *   env               → env; .env.local beside the file → env_file
 *   {{ .name }}       → a run argument `name` (default ""), read as "${SPIRE_ARG_NAME}"
 *   on_error          → a task `on_error` that runs when any task that may fail failed,
 *                       after the others ended; {{ .failedTaskName }} and its kin
 *                       read SPIRE_FAILED_TASK, _EXIT_CODE, _ERROR, _STDOUT, _STDERR
 */
import { argEnvName } from "../args.js";
import type { PathSegment } from "../errors.js";
import { suggest } from "../suggest.js";
import { PRUNNER_TASK_KEYS } from "./format.js";
import { rewriteTemplates, scriptToRun } from "./prunner-script.js";
import type { ForeignReader, Raw } from "./reader.js";

const ON_ERROR_KEYS = ["script", "env"] as const;
/** The task prunner adds for `on_error` has this name; Spire keeps it. */
export const ON_ERROR_TASK = "on_error";
/** prunner's runs in bash-like mvdan/sh; Spire's default `sh` may be dash. */
const SHELL = "bash";

/** The variables prunner gives its on_error script, and where Spire puts them. */
export const FAILED_TASK_VARIABLES: Record<string, string> = {
  failedTaskName: "SPIRE_FAILED_TASK",
  failedTaskExitCode: "SPIRE_FAILED_EXIT_CODE",
  failedTaskError: "SPIRE_FAILED_ERROR",
  failedTaskStdout: "SPIRE_FAILED_STDOUT",
  failedTaskStderr: "SPIRE_FAILED_STDERR",
};

export interface TranslatedTasks {
  tasks: Raw;
  /** Run arguments made from the templates, by name. */
  args: Raw;
}

export function translateTasks(def: Raw, path: PathSegment[], reader: ForeignReader, envFile: string | undefined): TranslatedTasks {
  const tasksPath = [...path, "tasks"];
  const result: TranslatedTasks = { tasks: {}, args: {} };
  const tasks = reader.record(def["tasks"], tasksPath, "a mapping of tasks");
  if (tasks === undefined) {
    if (def["tasks"] === undefined) reader.error(path, "a pipeline needs `tasks:`", {}, "key");
    return result;
  }
  reader.origins.add(tasksPath, tasksPath);
  const names = Object.keys(tasks);
  const failable: string[] = [];
  for (const [name, value] of Object.entries(tasks)) {
    const taskPath = [...tasksPath, name];
    if (!reader.name(name, taskPath, "task")) continue;
    const task = reader.record(value, taskPath, "a task (a mapping with `script:`)") ?? {};
    reader.knownKeys(task, PRUNNER_TASK_KEYS, taskPath, "a prunner task");
    reader.origins.add(taskPath, taskPath);
    const allowFailure = reader.boolean(task["allow_failure"], [...taskPath, "allow_failure"]) === true;
    const out: Raw = { shell: SHELL, run: script(task, taskPath, allowFailure, reader, (variable, at) => argument(variable, at, result, reader)) };
    reader.origins.add([...taskPath, "run"], [...taskPath, "script"]);
    reader.origins.add([...taskPath, "shell"], [...taskPath, "script"]);
    const needs = dependencies(task, taskPath, name, names, reader);
    if (needs.length > 0) out["needs"] = needs;
    if (allowFailure) {
      out["allow_failure"] = true;
      reader.origins.add([...taskPath, "allow_failure"], [...taskPath, "allow_failure"]);
    } else failable.push(name);
    copyEnv(task, taskPath, taskPath, out, reader, envFile);
    result.tasks[name] = out;
  }
  onError(def, path, result, failable, reader, envFile);
  return result;
}

/** The task's `run:` text; `variable` maps each template to the environment variable that holds its value. */
function script(task: Raw, taskPath: PathSegment[], allowFailure: boolean, reader: ForeignReader, variable: (name: string, at: PathSegment[]) => string): string {
  const scriptPath = [...taskPath, "script"];
  if (typeof task["script"] === "string") {
    reader.error(scriptPath, "expected a list of command lines, got a string", { hint: "write it as a list: script: [\"…\"]" });
    return ":";
  }
  const lines = reader.strings(task["script"], scriptPath, "a list of command lines").map(({ value, index }) => {
    const at = [...scriptPath, index];
    const rewritten = rewriteTemplates(value, (name) => variable(name, at));
    for (const problem of rewritten.problems) reader.errorInside(at, problem.text, problem.message, { hint: problem.hint }, problem.occurrence);
    return rewritten.text;
  });
  return scriptToRun(lines, allowFailure);
}

/** A job variable becomes a run argument; the script reads it from the argument's environment variable. */
function argument(name: string, at: PathSegment[], result: TranslatedTasks, reader: ForeignReader): string {
  if (name === "__proto__") {
    reader.errorInside(at, name, "`__proto__` cannot be a variable name", { hint: "rename it; `__proto__` is reserved in JavaScript" });
    return "SPIRE_ARG___PROTO__";
  }
  if (!Object.hasOwn(result.args, name)) {
    result.args[name] = { type: "string", default: "", description: "a prunner job variable ({{ ." + name + " }})" };
    reader.origins.add([...at.slice(0, 2), "args", name], at);
  }
  return argEnvName(name);
}

function dependencies(task: Raw, taskPath: PathSegment[], name: string, names: string[], reader: ForeignReader): string[] {
  const depsPath = [...taskPath, "depends_on"];
  const needs: string[] = [];
  for (const { value, index } of reader.strings(task["depends_on"], depsPath, "a list of task names")) {
    if (!names.includes(value)) {
      const close = suggest(value, names);
      // prunner's own words for this mistake.
      reader.error([...depsPath, index], `missing task ${JSON.stringify(value)} referenced in depends_on of task ${JSON.stringify(name)}`, {
        hint: close ? `did you mean \`${close}\`?` : `the pipeline's tasks are: ${names.join(", ")}`,
      });
      continue;
    }
    reader.origins.add([...taskPath, "needs", needs.length], [...depsPath, index]);
    needs.push(value);
  }
  reader.origins.add([...taskPath, "needs"], depsPath);
  return needs;
}

function copyEnv(task: Raw, spirePath: PathSegment[], originalPath: PathSegment[], out: Raw, reader: ForeignReader, envFile: string | undefined): void {
  const env = reader.env(task["env"], [...originalPath, "env"]);
  if (env !== undefined) {
    out["env"] = env;
    reader.origins.add([...spirePath, "env"], [...originalPath, "env"], true);
  }
  if (envFile !== undefined) out["env_file"] = envFile;
}

/** prunner's on_error: run once, after the run failed, with the first failed task's details. */
function onError(def: Raw, path: PathSegment[], result: TranslatedTasks, failable: string[], reader: ForeignReader, envFile: string | undefined): void {
  const errorPath = [...path, "on_error"];
  const handler = reader.record(def["on_error"], errorPath, "a task (a mapping with `script:`)");
  if (handler === undefined) return;
  reader.knownKeys(handler, ON_ERROR_KEYS, errorPath, "on_error");
  if (Object.hasOwn(result.tasks, ON_ERROR_TASK)) {
    reader.error([...path, "tasks", ON_ERROR_TASK], `a task named ${ON_ERROR_TASK} cannot be used with on_error`, { hint: `on_error becomes a task named ${ON_ERROR_TASK}: rename this one` }, "key");
    return;
  }
  const taskPath = [...path, "tasks", ON_ERROR_TASK];
  reader.origins.add(taskPath, errorPath);
  const run = script(handler, errorPath, false, reader, (name, at) => (Object.hasOwn(FAILED_TASK_VARIABLES, name) ? FAILED_TASK_VARIABLES[name]! : argument(name, at, result, reader)));
  reader.origins.add([...taskPath, "run"], [...errorPath, "script"]);
  reader.origins.add([...taskPath, "shell"], [...errorPath, "script"]);
  // When only tasks that may fail are left, nothing can fail the run: the handler would never run.
  if (failable.length === 0) return;
  const out: Raw = { shell: SHELL, run, on_fail: failable };
  reader.origins.add([...taskPath, "on_fail"], errorPath);
  copyEnv(handler, taskPath, errorPath, out, reader, envFile);
  result.tasks[ON_ERROR_TASK] = out;
}
