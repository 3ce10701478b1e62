/** A definitions file, read as the CLI reads it: located errors, and the text an engine is sent. */
import { loadDefinitionsFrom, formatDefinitionErrors, type CheckedDefinitions } from "../definitions/load.js";
import { STDIN_NAME, isDefinitionsUrl } from "../definitions/remote/definitions-input.js";
import type { DefinitionsFormat } from "../definitions/compat/format.js";
import { toSpireYaml } from "../definitions/compat/to-yaml.js";
import type { DefinitionError } from "../definitions/errors.js";
import type { SpireFile } from "../definitions/schema.js";
import { CliError, EXIT } from "./errors.js";
import { isFolder, loadPrunnerFolder } from "../definitions/compat/prunner-folder.js";

/**
 * A definitions file in any of the formats (`format`: as given, else
 * detected); `text` is what an engine is sent: the file itself, or for
 * another tool's file its Spire translation (made here, where the files
 * beside it, such as prunner's .env, can be seen). `notDone` says what the
 * errors stopped.
 */
export async function loadFileOrFail(
  file: string,
  format?: DefinitionsFormat,
  options: { notDone?: string; maxTasks?: number; allowHttpFile?: boolean; givenAs?: "-f" | "path" } = {},
): Promise<{ file: SpireFile; path: string; text: string; warnings: DefinitionError[]; checked?: CheckedDefinitions }> {
  const loaded = await loadDefinitionsFrom(file, { ...(format === undefined ? {} : { format }), ...(options.maxTasks === undefined ? {} : { maxTasks: options.maxTasks }), allowHttp: options.allowHttpFile === true, ...(options.givenAs === undefined ? {} : { givenAs: options.givenAs }) });
  if (!loaded.ok) throw definitionsError(displayName(file), loaded.errors, options.notDone ?? "Nothing was run.");
  const text = loaded.format === "spire" ? loaded.source : toSpireYaml(loaded.spire, { format: loaded.format, file: loaded.path });
  // Spire's own format: `text` is what was checked, and an engine in this process need not check it again.
  return { file: loaded.file, path: loaded.path, text, warnings: loaded.warnings, ...(loaded.format === "spire" ? { checked: loaded } : {}) };
}

/** `-f` as messages name it: stdin by that name, a URL without its query string (it may hold a token). */
export function displayName(file: string): string {
  if (file === "-") return STDIN_NAME;
  return isDefinitionsUrl(file) ? file.replace(/[?#].*$/s, (rest) => (rest.startsWith("?") ? "?…" : "")) : file;
}

export type LoadedFile = Awaited<ReturnType<typeof loadFileOrFail>>;

/**
 * loadFileOrFail for a file, or for a folder every prunner pipelines.yml in
 * it and below it (prunner's layout), checked together: a pipeline declared
 * in two files is an error. Each file keeps its own namespace and folder.
 */
export async function loadFilesOrFail(fileOrFolder: string, format?: DefinitionsFormat, options: { notDone?: string; maxTasks?: number; allowHttpFile?: boolean } = {}): Promise<LoadedFile[]> {
  if (!(await isFolder(fileOrFolder))) return [await loadFileOrFail(fileOrFolder, format, options)];
  if (format !== undefined && format !== "prunner") throw new CliError(`${fileOrFolder} is a folder: only prunner's layout is read from a folder, not --format ${format}`, EXIT.usage, "Pass the definitions file itself with -f.");
  const loaded = await loadPrunnerFolder(fileOrFolder, options.maxTasks === undefined ? {} : { maxTasks: options.maxTasks });
  if (!loaded.ok) throw definitionsError(fileOrFolder, loaded.errors, options.notDone ?? "Nothing was run.");
  return loaded.files.map((file) => ({ file: file.file, path: file.path, text: toSpireYaml(file.spire, { format: "prunner", file: file.path }), warnings: file.warnings }));
}

function definitionsError(file: string, errors: DefinitionError[], notDone: string): CliError {
  const count = errors.length;
  return new CliError(
    `${file} has ${count} error${count === 1 ? "" : "s"}:\n${formatDefinitionErrors(errors)}`,
    EXIT.usage,
    `${notDone} Fix the errors above and try again (spire validate -f FILE checks without running).`,
  );
}
