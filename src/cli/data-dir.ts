/** Where Spire keeps its database, logs and artifacts (SPEC §7). */
import { chmodSync } from "node:fs";
import { makePrivateDirSync, PRIVATE_DIR_MODE } from "../files/private.js";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export function dataDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.SPIRE_DATA) return resolve(process.env.SPIRE_DATA);
  const xdg = process.env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith("/") ? xdg : join(homedir(), ".local", "share"), "spire");
}

export function databaseFile(dir: string): string {
  return join(dir, "spire.db");
}

/**
 * Creates the data folder (and its parents) and keeps it private: it holds
 * the database, logs, artifacts and the API secret.
 */
export function ensureDataDir(dir: string): void {
  makePrivateDirSync(dir);
  chmodSync(dir, PRIVATE_DIR_MODE);
}
