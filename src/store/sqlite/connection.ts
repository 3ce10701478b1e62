/**
 * One better-sqlite3 connection with Spire's pragmas and a cache of prepared
 * statements (preparing costs more than running a small statement, and the
 * engine writes several times per task).
 */
import Database from "better-sqlite3";
import { dirname, resolve } from "node:path";
import { ensurePrivateFileSync, makePrivateDirSync, makePrivateSync } from "../../files/private.js";
import { damageOf, DatabaseDamagedError, DatabaseLockedError, DiskFullError, isDatabaseDamaged, isDiskFull, isStoreUnavailable } from "../errors.js";
import { Checkpoints, DEFAULT_CHECKPOINTS, type CheckpointOptions } from "./checkpoints.js";

export type Row = Record<string, unknown>;
export type Statement = Database.Statement<unknown[], Row>;

/** The disk has no room for writes (said once), or has again (said once, when a write goes through). */
export type DiskSpaceEvent = { full: true; error: DiskFullError } | { full: false; fullForMs: number };

export interface ConnectionOptions {
  checkpoints?: CheckpointOptions;
  onDiskSpace?: (event: DiskSpaceEvent) => void;
  /** How soon batched writes that found the disk full are tried again: first, then doubling up to max. */
  diskFullRetryMs?: { first: number; max: number };
}

const DISK_FULL_RETRY_MS = { first: 100, max: 2000 };
/** How long a statement waits for a lock another process holds before it fails (SQLITE_BUSY). */
const BUSY_TIMEOUT_MS = 5000;

type Write = { fn: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class Connection {
  readonly db: Database.Database;
  readonly file: string;
  private readonly statements = new Map<string, Statement>();
  private pending: Write[] = [];
  private flushing = false;
  /** While the disk is full: since when, and when the writes waiting are tried again. */
  private full: { error: DiskFullError; since: number; delayMs: number; retryAt: number; timer: NodeJS.Timeout | undefined } | undefined;
  private readonly onDiskSpace: ((event: DiskSpaceEvent) => void) | undefined;
  private readonly retryMs: { first: number; max: number };
  // Built once: db.transaction() compiles wrappers, too slow to repeat per write.
  private readonly inTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  /** Undefined for a database in memory: it has no WAL. */
  readonly checkpoints: Checkpoints | undefined;

  constructor(file: string, options: ConnectionOptions = {}) {
    this.file = file;
    this.onDiskSpace = options.onDiskSpace;
    this.retryMs = options.diskFullRetryMs ?? DISK_FULL_RETRY_MS;
    let db: Database.Database | undefined;
    try {
      if (!isSpecialName(file)) makePrivate(file);
      db = new Database(file);
      // busy_timeout first: switching to WAL takes a lock another process may hold.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      switchToWal(db);
    } catch (error) {
      db?.close();
      throw this.openError(error);
    }
    this.db = db;
    // NORMAL under WAL: a commit survives a process crash; only a power cut
    // can lose the last few, and never corrupts the file.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.inTransaction = this.db.transaction((fn: () => unknown) => fn());
    this.checkpoints = isSpecialName(file) ? undefined : new Checkpoints(this.db, file, options.checkpoints ?? DEFAULT_CHECKPOINTS);
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): Statement {
    // Any read or write outside the batch sees the batched writes first (see batchedWrite).
    this.flushWrites();
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare<unknown[], Row>(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /**
   * Runs `fn` in a write transaction. IMMEDIATE takes the write lock at BEGIN,
   * so a second process waits on busy_timeout instead of failing with
   * SQLITE_BUSY when its read lock cannot be upgraded.
   */
  writeTransaction<T>(fn: () => T): T {
    this.flushWrites(true);
    // Writes still waiting for room go first: this one may not overtake them.
    if (this.full !== undefined && this.pending.length > 0) throw this.full.error;
    try {
      const result = this.commit(fn);
      this.roomAgain();
      return result;
    } catch (error) {
      throw isDiskFull(error) ? this.diskFull() : error;
    }
  }

  /** One IMMEDIATE transaction, and its commit counted for the checkpoints (see checkpoints.ts). */
  private commit<T>(fn: () => T): T {
    const result = this.inTransaction.immediate(fn) as T;
    this.checkpoints?.committed();
    return result;
  }

  /** Runs `fn` in a read transaction: one consistent snapshot for several queries. */
  readTransaction<T>(fn: () => T): T {
    this.flushWrites();
    return this.inTransaction.deferred(fn) as T;
  }

  /**
   * Group commit: runs `fn` in a write transaction shared with the other
   * batched writes asked for in the same turn of the event loop — up to its
   * check phase, so the callbacks of every I/O event the loop woke for
   * share one commit: a task's end and the next task's start are one commit,
   * not two (bench/dag: 1,923 commits for 1,000 tasks, then 1,000). A
   * commit costs more than the small writes a run makes (bench/fire: a
   * thousand runs starting at one instant made 4,000 commits a second, 40 %
   * of the engine's time). Each write keeps its own
   * savepoint, so one that fails is undone alone and only its promise
   * rejects; each promise settles after the commit. Order is kept: writes
   * run in the order asked, and any other use of the connection (a read, an
   * unbatched write) first commits what is waiting.
   *
   * A batch the disk has no room for is not lost: it stays first in line,
   * its promises unsettled, and is tried again (backing off) until it goes
   * through, together with what was asked meanwhile, in order; each write
   * runs again from the start, since nothing of the failed try was stored.
   */
  batchedWrite<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flushWrites());
    });
  }

  /**
   * Commits the batched writes waiting, if any (not from inside the commit
   * itself; while the disk is full, only when a retry is due or `force`).
   * Never inside another transaction: there the batch would be a savepoint,
   * its writes said to be stored before that transaction's own COMMIT, which
   * may yet fail (a read that began while the disk was full, whose retry
   * fell due meanwhile, lost them so and failed with SQLITE_FULL itself).
   */
  private flushWrites(force = false): void {
    if (this.pending.length === 0 || this.flushing || !this.db.open || this.db.inTransaction) return;
    if (this.full !== undefined && !force && Date.now() < this.full.retryAt) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = true;
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch(batch);
    } catch (error) {
      if (isDiskFull(error)) {
        this.pending = batch.concat(this.pending);
        this.diskFull();
      } else {
        // BEGIN or COMMIT failed (busy): nothing of the batch is stored.
        for (const write of batch) write.reject(error);
      }
      return;
    } finally {
      this.flushing = false;
    }
    this.roomAgain();
    batch.forEach((write, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }

  /** Each write's outcome; throws (nothing stored) when the commit fails or the disk is full. */
  private commitBatch(batch: Write[]): Outcome[] {
    const outcomes: Outcome[] = [];
    const runOne = (write: Write, inSavepoint: boolean) => {
      try {
        // Nested in the open transaction, better-sqlite3 makes this a savepoint.
        outcomes.push({ ok: true, value: inSavepoint ? this.inTransaction(write.fn) : this.commit(write.fn) });
      } catch (error) {
        // No room: not this write's fault, the whole batch waits.
        if (isDiskFull(error)) throw error;
        outcomes.push({ ok: false, error });
      }
    };
    if (batch.length === 1) runOne(batch[0]!, false);
    else this.commit(() => batch.forEach((write) => runOne(write, true)));
    return outcomes;
  }

  /** Whether the disk was found full and has not had room since: writes wait for room. */
  get waitsForRoom(): boolean {
    return this.full !== undefined;
  }

  /** The disk is full: said once; the writes waiting are tried again later. */
  private diskFull(): DiskFullError {
    const now = Date.now();
    if (this.full === undefined) {
      this.full = { error: new DiskFullError(this.folder), since: now, delayMs: this.retryMs.first, retryAt: now, timer: undefined };
      this.onDiskSpace?.({ full: true, error: this.full.error });
    } else {
      this.full.delayMs = Math.min(this.full.delayMs * 2, this.retryMs.max);
    }
    const full = this.full;
    full.retryAt = now + full.delayMs;
    if (this.pending.length > 0 && full.timer === undefined) {
      full.timer = setTimeout(() => {
        full.timer = undefined;
        this.flushWrites(true);
      }, full.delayMs);
    }
    return full.error;
  }

  /** A write went through: if the disk was full, it has room again (said once). */
  private roomAgain(): void {
    if (this.full === undefined) return;
    clearTimeout(this.full.timer);
    const fullForMs = Date.now() - this.full.since;
    this.full = undefined;
    this.onDiskSpace?.({ full: false, fullForMs });
  }

  /**
   * An error opening the database, or making its schema (its first write),
   * as the user can act on it: the disk full, the file damaged (or a folder),
   * its lock held by another program. Any other is returned as it is.
   */
  openError(error: unknown): unknown {
    if (isDiskFull(error)) return new DiskFullError(this.folder);
    if (isDatabaseDamaged(error)) return new DatabaseDamagedError(this.file, damageOf(error));
    if ((error as NodeJS.ErrnoException | null)?.code === "EISDIR") return new DatabaseDamagedError(this.file, "it is a folder, not a file", "folder");
    if (isStoreUnavailable(error)) return new DatabaseLockedError(this.file, BUSY_TIMEOUT_MS);
    return error;
  }

  /** The folder the database is in: the one whose disk must have room. */
  private get folder(): string {
    return isSpecialName(this.file) ? this.file : dirname(resolve(this.file));
  }

  /** A moment when the engine expects nothing for a while: see Checkpoints.maintain. */
  maintain(): void {
    this.checkpoints?.maintain();
  }

  /** Commits what is waiting and closes; waits only when a checkpoint worker has to end first. */
  close(): Promise<void> {
    if (this.db.open) this.flushWrites(true);
    // Still no room: what waits was never stored, and its callers hear so.
    if (this.full !== undefined) {
      clearTimeout(this.full.timer);
      for (const write of this.pending.splice(0)) write.reject(this.full.error);
    }
    const ending = this.checkpoints?.close();
    if (!ending) return Promise.resolve(this.closeDatabase());
    return ending.then(() => this.closeDatabase());
  }

  private closeDatabase(): void {
    if (this.db.open) this.db.close();
    this.statements.clear();
  }
}

/**
 * SQLite makes the -wal and -shm files with the database file's mode, so a
 * database file that is 0600 before the first open keeps all three private.
 * Files of an older Spire (0644) are made private here too.
 */
function makePrivate(file: string): void {
  makePrivateDirSync(dirname(resolve(file)));
  ensurePrivateFileSync(file);
  for (const companion of [`${file}-wal`, `${file}-shm`, `${file}-journal`]) makePrivateSync(companion);
}

function isSpecialName(file: string): boolean {
  return file === ":memory:" || file === "" || file.startsWith("file:");
}

/**
 * Switches a new file to WAL. Two processes opening the same new file at
 * once (two `spire run` of a first cron minute, say) both write its first
 * page for the switch: the one whose shared lock cannot become a write lock
 * is told SQLITE_BUSY at once, without the busy handler (SQLite's answer to
 * a deadlock), where waiting a moment is all it takes. So it is asked again,
 * up to BUSY_TIMEOUT_MS, as the busy handler would wait.
 */
function switchToWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let tries = 0; ; tries++) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw error;
      // A few milliseconds, more each time: the other process's switch is a write of one page.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(50, 2 + tries * 5));
    }
  }
}
