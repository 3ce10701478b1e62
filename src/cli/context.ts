/** What most commands need: the store in the data folder, a definitions file, a run id. */
import { resolve } from "node:path";
import { loadDefinitions, formatDefinitionErrors } from "../spec/load.js";
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

export async function loadFileOrFail(file: string): Promise<{ file: SpireFile; path: string }> {
  const path = resolve(file);
  const loaded = await loadDefinitions(path);
  if (!loaded.ok) {
    const count = loaded.errors.length;
    throw new CliError(
      `${file} has ${count} error${count === 1 ? "" : "s"}:\n${formatDefinitionErrors(loaded.errors)}`,
      EXIT.usage,
      "Nothing was run. Fix the errors above and try again (spire validate -f FILE checks without running).",
    );
  }
  return { file: loaded.file, path };
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
