/**
 * `spire validate [-f FILE]`: every error of a definitions file at once, or a
 * short confirmation; warnings (valid, but will not work as meant) either way.
 */
import pc from "picocolors";
import { loadDefinitionsFrom, formatDefinitionErrors } from "../../definitions/load.js";
import { displayName } from "../context.js";
import { plannedTaskCount } from "../../plan/task-count.js";
import { FORMAT_NAMES, type DefinitionsFormat } from "../../definitions/compat/format.js";
import { CliError, EXIT } from "../errors.js";
import { isFolder, loadPrunnerFolder } from "../../definitions/compat/prunner-folder.js";
import type { SpireFile } from "../../definitions/schema.js";
import { parseMaxTasks } from "../max-tasks-option.js";
import { defaultDefinitionsFile } from "../../definitions/script/files.js";
import { printWarnings } from "../definition-warnings.js";

export async function validateCommand(given: { file?: string; json?: boolean; format?: DefinitionsFormat; maxTasks?: string; allowHttpFile?: boolean }): Promise<void> {
  const options = { ...given, file: given.file ?? defaultDefinitionsFile() };
  const maxTasks = parseMaxTasks(options.maxTasks);
  if (await isFolder(options.file)) return validateFolder(options, maxTasks);
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
    throw new CliError(`${name} has ${plural(count, "error")}:\n${formatDefinitionErrors(loaded.errors)}${warnings}`, EXIT.usage);
  }
  const { names, tasks } = counted([loaded.file]);
  process.stdout.write(
    `${pc.green("✓")} ${name} is valid${loaded.format === "spire" ? "" : ` (read as ${FORMAT_NAMES[loaded.format]})`}: ${plural(names.length, "pipeline")} (${names.join(", ")}), ${plural(tasks, "task")}${warned(loaded.warnings.length)}\n`,
  );
  printWarnings(loaded.warnings);
}

/** A folder, as prunner reads one: every pipelines.yml below it, together (a pipeline declared twice is an error). */
async function validateFolder(options: { file: string; json?: boolean; format?: DefinitionsFormat }, maxTasks: number | undefined): Promise<void> {
  if (options.format !== undefined && options.format !== "prunner") throw new CliError(`${options.file} is a folder: only prunner's layout is read from a folder, not --format ${options.format}`, EXIT.usage, "Pass the definitions file itself with -f.");
  const loaded = await loadPrunnerFolder(options.file, maxTasks === undefined ? {} : { maxTasks });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok: loaded.ok, files: loaded.ok ? loaded.files.map((file) => file.path) : [], errors: loaded.ok ? [] : loaded.errors, warnings: loaded.warnings }, null, 2)}\n`);
    if (!loaded.ok) process.exitCode = EXIT.usage;
    return;
  }
  if (!loaded.ok) {
    const warnings = loaded.warnings.length > 0 ? `\n${formatDefinitionErrors(loaded.warnings)}` : "";
    throw new CliError(`${options.file} has ${plural(loaded.errors.length, "error")}:\n${formatDefinitionErrors(loaded.errors)}${warnings}`, EXIT.usage);
  }
  const { names, tasks } = counted(loaded.files.map((file) => file.file));
  process.stdout.write(
    `${pc.green("✓")} ${options.file} is valid (${plural(loaded.files.length, "prunner pipelines.yml file")}): ${plural(names.length, "pipeline")} (${names.join(", ")}), ${plural(tasks, "task")}${warned(loaded.warnings.length)}\n`,
  );
  printWarnings(loaded.warnings);
}

function counted(files: SpireFile[]): { names: string[]; tasks: number } {
  return { names: files.flatMap((file) => Object.keys(file.pipelines)), tasks: files.reduce((sum, file) => sum + plannedTaskCount(file), 0) };
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;

const warned = (count: number): string => (count === 0 ? "" : `; ${count} warning${count === 1 ? "" : "s"}:`);
