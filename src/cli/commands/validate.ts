/**
 * `spire validate [-f FILE]`: every error of a definitions file at once, or a
 * short confirmation; warnings (valid, but will not work as meant) either way.
 */
import pc from "picocolors";
import { loadDefinitionsFrom, formatDefinitionErrors } from "../../definitions/load.js";
import { displayName } from "../context.js";
import { ALREADY_CHECKED, planPipeline } from "../../plan/plan.js";
import { FORMAT_NAMES, type DefinitionsFormat } from "../../definitions/compat/format.js";
import { CliError, EXIT } from "../errors.js";
import { parseMaxTasks } from "../max-tasks-option.js";

export async function validateCommand(options: { file: string; json?: boolean; format?: DefinitionsFormat; maxTasks?: string; allowHttpFile?: boolean }): Promise<void> {
  const maxTasks = parseMaxTasks(options.maxTasks);
  const loaded = await loadDefinitionsFrom(options.file, { ...(options.format === undefined ? {} : { format: options.format }), ...(maxTasks === undefined ? {} : { maxTasks }), allowHttp: options.allowHttpFile === true });
  const name = displayName(options.file);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok: loaded.ok, errors: loaded.ok ? [] : loaded.errors, warnings: loaded.warnings }, null, 2)}\n`);
    if (!loaded.ok) process.exitCode = EXIT.usage;
    return;
  }
  if (!loaded.ok) {
    const count = loaded.errors.length;
    const warnings = loaded.warnings.length > 0 ? `\n${formatDefinitionErrors(loaded.warnings)}` : "";
    throw new CliError(`${name} has ${count} error${count === 1 ? "" : "s"}:\n${formatDefinitionErrors(loaded.errors)}${warnings}`, EXIT.usage);
  }
  const names = Object.keys(loaded.file.pipelines);
  let tasks = 0;
  for (const name of names) {
    const planned = planPipeline(name, loaded.file.pipelines[name]!, ALREADY_CHECKED);
    if (planned.ok) tasks += planned.plan.nodes.filter((node) => node.type === "task").length;
  }
  process.stdout.write(
    `${pc.green("✓")} ${name} is valid${loaded.format === "spire" ? "" : ` (read as ${FORMAT_NAMES[loaded.format]})`}: ${names.length} pipeline${names.length === 1 ? "" : "s"} (${names.join(", ")}), ${tasks} task${tasks === 1 ? "" : "s"}${warned(loaded.warnings.length)}\n`,
  );
  if (loaded.warnings.length > 0) process.stderr.write(`${pc.yellow(formatDefinitionErrors(loaded.warnings))}\n`);
}

const warned = (count: number): string => (count === 0 ? "" : `; ${count} warning${count === 1 ? "" : "s"}:`);
