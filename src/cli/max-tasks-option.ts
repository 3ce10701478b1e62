/**
 * `--max-tasks N` of `spire engine`, `spire run` and `spire validate`: the
 * most tasks one run of a pipeline may expand to (groups, repeat and matrix
 * copies counted). A definition over it is refused before anything is
 * expanded; the cap lives with the engine, not in the definitions file,
 * because whoever writes the file is whom it guards against.
 */
import { Option } from "commander";
import { DEFAULT_MAX_TASKS } from "../plan/count.js";
import { CliError, EXIT } from "./errors.js";

export function maxTasksOption(forWhat: string): Option {
  return new Option("--max-tasks <n>", `the most tasks one run may expand to (groups, repeat and matrix copies counted), ${forWhat} (default ${DEFAULT_MAX_TASKS})`);
}

/** The cap given with --max-tasks, or undefined for the default. */
export function parseMaxTasks(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) {
    throw new CliError(`--max-tasks must be a whole number ≥ 1, got ${JSON.stringify(value)}`, EXIT.usage, `For example: --max-tasks ${DEFAULT_MAX_TASKS * 5}`);
  }
  return count;
}
