/** Where Spire keeps its database, logs and artifacts (SPEC §7). */
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { PRIVATE_DIR_MODE } from "../files/private.js";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CliError, EXIT } from "./errors.js";
import { fsErrorWords } from "../files/fs-error-words.js";

export function dataDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.SPIRE_DATA) return resolve(process.env.SPIRE_DATA);
  const xdg = process.env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith("/") ? xdg : join(homedir(), ".local", "share"), "spire");
}

export function databaseFile(dir: string): string {
  return join(dir, "spire.db");
}

const CHOOSE = "Choose another with --data DIR or SPIRE_DATA.";

/**
 * Creates the data folder (and its parents) and keeps it private: it holds
 * the database, logs, artifacts and the API secret. A folder that cannot be
 * made or kept private is a usage error that says why, not an internal one.
 * Made a level at a time: Node's recursive mkdir loops for ever where a
 * file system answers ENOENT under a parent that exists (/proc).
 */
export function ensureDataDir(dir: string): void {
  makeLevels(dir, dir);
  try {
    chmodSync(dir, PRIVATE_DIR_MODE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EPERM") throw new CliError(`the data folder ${dir} belongs to another user: Spire keeps its data private (only you may read it) and cannot make it so`, EXIT.usage, CHOOSE);
    throw new CliError(`the data folder ${dir} cannot be made private: ${describe(code)}`, EXIT.usage, CHOOSE);
  }
}

function makeLevels(dir: string, folder: string): void {
  const existing = kindOf(dir, folder);
  if (existing === "folder") return;
  if (existing === "other") throw new CliError(`the data folder ${dir} cannot be made: ${folder === dir ? "it" : folder} is a file, not a folder`, EXIT.usage, CHOOSE);
  const parent = dirname(folder);
  if (parent !== folder) makeLevels(dir, parent);
  try {
    mkdirSync(folder, { mode: PRIVATE_DIR_MODE });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && kindOf(dir, folder) === "folder") return; // made meanwhile by another process
    throw new CliError(`the data folder ${dir} cannot be made: ${describe(code)}${folder === dir ? "" : ` (making ${folder})`}`, EXIT.usage, CHOOSE);
  }
}

function kindOf(dir: string, path: string): "folder" | "other" | undefined {
  try {
    return statSync(path).isDirectory() ? "folder" : "other";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // A part of the path is a file (ENOTDIR), or it cannot be looked at (EACCES): it cannot be made either.
    throw new CliError(`the data folder ${dir} cannot be made: ${describe(code)}`, EXIT.usage, CHOOSE);
  }
}

function describe(code: string | undefined): string {
  return code === "ENOENT" ? "the file system does not allow folders there" : fsErrorWords(code);
}
