/**
 * An engine's lasting id among the engines sharing a store: kept in its data
 * folder, so the engine restarted on the same folder is the same owner of
 * its runs (and takes them up), whatever its process id.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writePrivateFileSync } from "../files/private.js";

const FILE = "engine-id";

export function engineIdOf(dataDir: string): string {
  const file = join(dataDir, FILE);
  try {
    const id = readFileSync(file, "utf8").trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch {
    // none yet
  }
  const id = randomUUID();
  writePrivateFileSync(file, `${id}\n`);
  return id;
}
