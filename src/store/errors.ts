/**
 * Typed store errors: only those that drive a decision elsewhere (the CLI
 * and engine tell the user to upgrade instead of printing a stack).
 */
import { basename } from "node:path";
import { DataFileError } from "../files/data-file-error.js";

/** The database carries migrations this build of Spire does not know. */
export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
  constructor(
    readonly where: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `${where}: this database was written by a newer Spire (schema ${found}; this one knows ${known}): upgrade Spire`,
    );
  }
}

/** A state change names a run that is not in the store. */
export class RunNotFoundError extends Error {
  override readonly name = "RunNotFoundError";
  constructor(readonly runId: string) {
    super(`store: no run with id ${JSON.stringify(runId)}`);
  }
}

/** The pipeline (or its namespace) a run was made from changed before the run was stored: nothing was written. */
export class DefinitionChangedError extends Error {
  override readonly name = "DefinitionChangedError";
  constructor(
    readonly namespace: string,
    readonly pipeline: string,
  ) {
    super(`store: ${namespace}/${pipeline} changed while a run of it was being made`);
  }
}

/** A token not revoked already has this name: the user picks another or revokes that one. */
export class TokenNameTakenError extends Error {
  override readonly name = "TokenNameTakenError";
  constructor(readonly tokenName: string) {
    super(`store: a token named ${JSON.stringify(tokenName)} exists: choose another name or revoke it first`);
  }
}

/**
 * The database file is not SQLite, or SQLite finds it damaged (SQLITE_NOTADB,
 * SQLITE_CORRUPT), or it is a folder: nothing in it can be read. A file that
 * is not there is made anew, empty: moving it aside is the way out, or a backup.
 */
export class DatabaseDamagedError extends DataFileError {
  override readonly name = "DatabaseDamagedError";
  constructor(file: string, why: string, kind: "file" | "folder" = "file") {
    const name = basename(file);
    super(
      file,
      `the database ${file} cannot be read: ${why}`,
      kind === "folder"
        ? "Move it aside: Spire then makes a new, empty database in its place."
        : `Move it aside (with ${name}-wal and ${name}-shm, if there): Spire then starts a new, empty database, to which you apply your definitions again (spire apply -f FILE). Or put back a copy from a backup.`,
    );
  }
}

/** Whether SQLite says the file is no database of its own or a damaged one. */
export function isDatabaseDamaged(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT"));
}

/** The damage as SQLite says it, for the message: "file is not a database". */
export function damageOf(error: unknown): string {
  const said = error instanceof Error ? error.message : String(error);
  return (error as { code?: unknown }).code === "SQLITE_NOTADB" ? "it is not a Spire database, or it is damaged (SQLite: file is not a database)" : `it is damaged (SQLite: ${said})`;
}

/**
 * Opening the database: another program held its lock for longer than the
 * busy timeout (a sqlite3 shell with a transaction open, a backup that locks
 * it). Said with the file and what to do, where a request under way is told
 * to try again (isStoreUnavailable).
 */
export class DatabaseLockedError extends DataFileError {
  override readonly name = "DatabaseLockedError";
  constructor(file: string, busyTimeoutMs: number) {
    super(
      file,
      `the database ${file} is locked by another program: it did not let go of it within ${busyTimeoutMs / 1000} s`,
      "Let that program finish (a backup, or a sqlite3 shell with a transaction open), or end it, then try again.",
    );
  }
}

/**
 * A write the disk had no room for (SQLITE_FULL, ENOSPC, EDQUOT): nothing of
 * it was stored. The user frees space; Spire then records what waited.
 */
export class DiskFullError extends Error {
  override readonly name = "DiskFullError";
  constructor(readonly folder: string) {
    super(`the disk holding Spire's data folder ${folder} is full: free some space on it`);
  }
}

/**
 * Whether `error` says the disk (or the user's quota) is full. SQLite says
 * SQLITE_FULL for a write, and SQLITE_IOERR_SHMSIZE when the -shm file it
 * maps cannot grow (opening a database on a full disk).
 */
export function isDiskFull(error: unknown): boolean {
  if (error instanceof DiskFullError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_FULL") || code === "SQLITE_IOERR_SHMSIZE" || code === "ENOSPC" || code === "EDQUOT");
}

const STORE_UNAVAILABLE = Symbol("spire: the store could not be reached");

/** The store's server could not be reached, or did not answer in time: a passing state of the service, not the request's fault. */
export function markStoreUnavailable(error: unknown): void {
  if (error !== null && typeof error === "object") (error as Record<symbol, boolean>)[STORE_UNAVAILABLE] = true;
}

export function isStoreUnavailable(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  if ((error as Record<symbol, unknown>)[STORE_UNAVAILABLE] === true) return true;
  // SQLite: another process held the database's lock for longer than the busy timeout (a backup, a
  // long `spire gc`, a second engine pointed at the same folder by mistake) — passing, like a server that does not answer.
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/**
 * Engines sharing a store: another engine took this run over, because this
 * one was silent longer than the rescue time (a pause, a lost network). What
 * this engine would still write of the run is refused; it stops the run's tasks.
 */
export class RunTakenOverError extends Error {
  override readonly name = "RunTakenOverError";
  constructor(
    readonly runId: string,
    readonly owner: string,
    /** `handed`: this engine gave the run away itself (to an engine whose workers can run it). */
    readonly how: "taken" | "handed" = "taken",
  ) {
    super(
      how === "handed"
        ? `run ${runId} was handed to engine ${owner.slice(0, 8)}, whose workers can run it: it goes on there`
        : `run ${runId} was taken over by engine ${owner.slice(0, 8)} while this engine was silent: it goes on there, and this engine stopped its tasks`,
    );
  }
}
