/**
 * Everything Spire writes is its user's alone: files 0600, folders 0700.
 *
 * Two layers, each enough by itself for the files Spire makes:
 * - every place that creates a file or folder asks for these modes (the
 *   helpers below), so the code is right whatever umask it runs under (the
 *   tests and embedders run it in-process);
 * - Spire's own processes (the CLI, hence `spire engine` and an in-process
 *   `spire run`, and the supervisor) run under umask 077, which closes the
 *   class for what asks for no mode: SQLite's own files, a library's, a
 *   write added later.
 *
 * A umask is inherited, and a task is the user's program: files it writes
 * (in its cwd, in $SPIRE_ARTIFACTS) must get the user's own umask, as they
 * would from cron. So children that run users' code are spawned with the
 * user's umask put back for the spawn (withUserUmask); the supervisor is
 * told it on its command line, since it inherits 077 from the engine.
 * A stricter umask than 077 may remove more bits; none of this adds any.
 */
import { chmodSync, closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { chmod, copyFile, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;
/** What Spire's processes run under: nothing for group and others. */
const PRIVATE_UMASK = 0o077;

/** The umask users' programs get; undefined until usePrivateUmask ran (nothing to put back). */
let usersUmask: number | undefined;

/**
 * Called once at a process's start. `taskUmask`: the umask for users'
 * programs when it is not this process's own (the supervisor's parent
 * already switched).
 */
export function usePrivateUmask(taskUmask?: number): void {
  const before = process.umask(PRIVATE_UMASK);
  usersUmask ??= taskUmask ?? before;
}

/** The umask users' programs run with (this process's, when it never switched). */
export function userUmask(): number {
  // process.umask() reads it in one native call (set to 0 and back at once, no JavaScript between).
  return usersUmask ?? process.umask();
}

/**
 * Runs `spawn` (synchronous: the child is forked inside it) under the
 * user's umask, so the child inherits that one. Other threads that create
 * files meanwhile still ask for private modes explicitly.
 */
export function withUserUmask<T>(spawn: () => T): T {
  if (usersUmask === undefined) return spawn();
  const own = process.umask(usersUmask);
  try {
    return spawn();
  } finally {
    process.umask(own);
  }
}

/** `mkdir -p`, each folder it makes 0700. */
export async function makePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export function makePrivateDirSync(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * makePrivateDirSync, skipped for a folder (absolute path) this process made
 * before: Spire's run folders are never reused (run ids are unique), and
 * making one again cost each task of a graph a failing mkdir and a stat
 * (a 1,000-task graph: 0.35 s). `again`: made even so, for a folder that
 * may have been removed since (a task's own artifacts, by its earlier
 * attempt). Forgotten wholesale past a bound.
 */
export function makePrivateDirSyncOnce(path: string, options: { again?: boolean } = {}): void {
  if (!options.again && madeFolders.has(path)) return;
  makePrivateDirSync(path);
  rememberMadeFolder(path);
}

/** A folder (absolute path) made otherwise (in the thread pool): makePrivateDirSyncOnce need not make it. */
export function rememberMadeFolder(path: string): void {
  if (madeFolders.size >= MADE_FOLDERS_KEPT) madeFolders.clear();
  madeFolders.add(path);
}

const madeFolders = new Set<string>();
const MADE_FOLDERS_KEPT = 20_000;

/** Creates `file` empty and 0600 when it is missing; an existing one is made 0600. */
export function ensurePrivateFileSync(file: string): void {
  closeSync(openSync(file, "a", PRIVATE_FILE_MODE));
  makePrivateSync(file);
}

/** Makes an existing file 0600; one that is missing, or not this user's to change, is left as it is. */
export function makePrivateSync(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "EPERM") throw error;
  }
}

/**
 * A copy is made with the source's mode (whoever wrote it); the copy is
 * Spire's: read-write for the user, keeping the user's execute bit (an
 * artifact may be a program a later task runs).
 */
export async function privateCopy(from: string, to: string, flags?: number): Promise<void> {
  await copyFile(from, to, flags);
  const { mode } = await stat(to);
  await chmod(to, PRIVATE_FILE_MODE | (mode & 0o100));
}

const tempName = (file: string) => `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;

/** Writes a small private file (0600) atomically: readers see the old or the new text; a failed write leaves no temporary file. */
export async function writePrivateFile(file: string, data: string | Uint8Array): Promise<void> {
  const temp = tempName(file);
  try {
    await writeFile(temp, data, { mode: PRIVATE_FILE_MODE, flag: "wx" });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

export function writePrivateFileSync(file: string, data: string | Uint8Array): void {
  const temp = tempName(file);
  try {
    writeFileSync(temp, data, { mode: PRIVATE_FILE_MODE, flag: "wx" });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
