/**
 * An engine's lasting id among the engines sharing a store: kept in its data
 * folder, so the engine restarted on the same folder is the same owner of
 * its runs (and takes them up), whatever its process id.
 *
 * A file that holds no id is refused, not replaced: Spire writes it whole
 * (write and rename), so one that is garbled was edited, or damaged, and an
 * engine given a new id in silence is a stranger to its own runs on a shared
 * PostgreSQL store: it takes none of them up, and the leader takes them over
 * as a stopped engine's, their running attempts counted as interrupted.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writePrivateFileSync } from "../files/private.js";
import { DataFileError } from "../files/data-file-error.js";

const FILE = "engine-id";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const WHAT_TO_DO =
  "It says which runs are this engine's on a PostgreSQL store shared with other engines. Put back the id it held (the store's engines table lists them: SELECT id, host, started_at FROM engines), or delete the file for a new one: the runs left unfinished under the old id are then taken over by the leading engine after --rescue-after, their running attempts counted as interrupted. With SQLite (the default store) nothing else depends on it: delete it.";

export function engineIdOf(dataDir: string): string {
  const file = join(dataDir, FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new DataFileError(file, `the engine's id ${file} cannot be read: ${(error as Error).message}`, WHAT_TO_DO);
    // None yet: this data folder's first engine.
    const id = randomUUID();
    writePrivateFileSync(file, `${id}\n`);
    return id;
  }
  const id = text.trim().toLowerCase();
  if (UUID.test(id)) return id;
  const held = id === "" ? "it is empty" : `it holds ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`;
  throw new DataFileError(file, `the engine's id ${file} is damaged: ${held}, not an id such as 3f2b8c1e-5d4a-4e7b-9c1d-2a6f8e0b4c7d`, WHAT_TO_DO);
}
