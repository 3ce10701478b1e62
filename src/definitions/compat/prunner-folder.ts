/**
 * prunner's layout: every `pipelines.yml` and `pipelines.yaml` in a folder
 * and the folders below it (prunner's default `**\/pipelines.{yml,yaml}`,
 * symbolic links followed), read in path order as prunner reads them. A
 * pipeline name is prunner's key across all of them: one declared twice is
 * an error naming both places.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { loadDefinitions, type LoadResult, type ParseOptions } from "../load.js";
import type { DefinitionError } from "../errors.js";

const FILE_NAMES = new Set(["pipelines.yml", "pipelines.yaml"]);
/** A folder tree deeper than this is a link loop prunner would not finish either. */
const MAX_DEPTH = 64;

export type FolderLoad =
  | { ok: true; files: Extract<LoadResult, { ok: true }>[]; warnings: DefinitionError[] }
  | { ok: false; errors: DefinitionError[]; warnings: DefinitionError[] };

/** The files, sorted as prunner sorts them (by path); each folder visited once however many links lead to it. */
export async function findPipelineFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  const walk = async (folder: string, depth: number): Promise<void> => {
    const real = await realpath(folder);
    if (seen.has(real) || depth > MAX_DEPTH) return;
    seen.add(real);
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const kind = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
      if (kind?.isDirectory()) await walk(path, depth + 1);
      else if (kind?.isFile() && FILE_NAMES.has(entry.name)) found.push(path);
    }
  };
  await walk(dir, 0);
  return found.sort();
}

export async function loadPrunnerFolder(dir: string, options: ParseOptions = {}): Promise<FolderLoad> {
  const paths = await findPipelineFiles(dir);
  if (paths.length === 0) {
    return { ok: false, errors: [{ file: dir, line: 0, column: 0, keyPath: "", message: "no pipelines.yml or pipelines.yaml in this folder or below it", hint: "pass a folder that has one, or the definitions file itself with -f" }], warnings: [] };
  }
  const errors: DefinitionError[] = [];
  const warnings: DefinitionError[] = [];
  const files: Extract<LoadResult, { ok: true }>[] = [];
  const declared = new Map<string, string>();
  for (const path of paths) {
    const loaded = await loadDefinitions(path, { ...options, format: "prunner" });
    warnings.push(...loaded.warnings);
    if (!loaded.ok) {
      errors.push(...loaded.errors);
      continue;
    }
    for (const name of Object.keys(loaded.file.pipelines)) {
      const place = loaded.at(["pipelines", name]);
      const here = `${path}:${place.line}`;
      const first = declared.get(name);
      if (first === undefined) declared.set(name, here);
      else errors.push({ ...place, file: path, message: `pipeline "${name}" is declared twice: in ${first} and in ${here}`, hint: "prunner keeps one pipeline per name across its files: rename or remove one of them" });
    }
    files.push(loaded);
  }
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, files, warnings };
}

/** Whether `path` is a folder (to be read as prunner's layout) rather than a file. */
export async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}
