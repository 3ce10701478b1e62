/** What most commands need: the store in the data folder, a definitions file, a run id. */
import { resolve } from "node:path";
import { loadDefinitions, formatDefinitionErrors } from "../spec/load.js";
import type { DefinitionsFormat } from "../spec/compat/format.js";
import { toSpireYaml } from "../spec/compat/to-yaml.js";
import type { SpireFile } from "../spec/schema.js";
import type { Store } from "../store/port.js";
import { openSqliteStore } from "../store/sqlite/index.js";
import { CliError, EXIT } from "./errors.js";
import { dataDir, databaseFile, ensureDataDir } from "./data-dir.js";

export async function openStore(dataOption?: string): Promise<{ store: Store; dir: string }> {
  const dir = dataDir(dataOption);
  ensureDataDir(dir);
  const store = openSqliteStore(databaseFile(dir));
  try {
    await store.init();
  } catch (error) {
    throw new CliError(`cannot open the database in ${dir}: ${(error as Error).message}`, EXIT.runFailed);
  }
  return { store, dir };
}

/**
 * A definitions file in any of the formats (`format`: as given, else
 * detected); `text` is what an engine is sent: the file itself, or for
 * another tool's file its Spire translation (made here, where the files
 * beside it, such as prunner's .env, can be seen).
 */
export async function loadFileOrFail(file: string, format?: DefinitionsFormat, maxTasks?: number): Promise<{ file: SpireFile; path: string; text: string }> {
  const path = resolve(file);
  const loaded = await loadDefinitions(path, { ...(format === undefined ? {} : { format }), ...(maxTasks === undefined ? {} : { maxTasks }) });
  if (!loaded.ok) {
    const count = loaded.errors.length;
    throw new CliError(
      `${file} has ${count} error${count === 1 ? "" : "s"}:\n${formatDefinitionErrors(loaded.errors)}`,
      EXIT.usage,
      "Nothing was run. Fix the errors above and try again (spire validate -f FILE checks without running).",
    );
  }
  const text = loaded.format === "spire" ? loaded.source : toSpireYaml(loaded.spire, { format: loaded.format, file: path });
  return { file: loaded.file, path, text };
}

/**
 * What to send an engine for a definitions file whose text is `text`: the
 * text itself for a Spire file (the engine checks it), the Spire
 * translation for another tool's file. Such a file is checked here, where
 * the files beside it can be seen; with an explicit `format`, its errors are
 * reported here too (the engine could only guess the format).
 */
export async function textForEngine(file: string, text: string, format?: DefinitionsFormat): Promise<string> {
  if (format === "spire") return text;
  const loaded = await loadDefinitions(resolve(file), format === undefined ? {} : { format });
  if (loaded.ok) return loaded.format === "spire" ? text : toSpireYaml(loaded.spire, { format: loaded.format, file });
  return format === undefined ? text : (await loadFileOrFail(file, format)).text;
}

/** A full id, a unique prefix of one, or `last` (the newest run). */
export async function resolveRunId(store: Store, given: string): Promise<string> {
  if (given === "last" || given === "latest") {
    const [newest] = await store.listRuns({ limit: 1 });
    if (!newest) throw new CliError("there are no runs yet", EXIT.usage, "Start one with: spire run -f spire.yaml");
    return newest.id;
  }
  if (!/^[0-9a-z]{1,32}$/.test(given)) throw new CliError(`"${given}" is not a run id`, EXIT.usage, "Run ids look like 01jbx4k2m9qz3v7c; see: spire runs");
  const found = await store.findRunIds(given, 2);
  if (found.length === 0) throw new CliError(`no run with id ${given}`, EXIT.usage, "See the run history with: spire runs");
  if (found.length > 1 && !found.includes(given)) {
    throw new CliError(`the id prefix ${given} is ambiguous (${found.join(", ")}, …)`, EXIT.usage, "Give more characters of the id.");
  }
  return found.includes(given) ? given : found[0]!;
}
