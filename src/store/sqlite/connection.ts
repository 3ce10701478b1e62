/**
 * One better-sqlite3 connection with Spire's pragmas and a cache of prepared
 * statements (preparing costs more than running a small statement, and the
 * engine writes several times per task).
 */
import Database from "better-sqlite3";
import { dirname, resolve } from "node:path";
import { ensurePrivateFileSync, makePrivateDirSync, makePrivateSync } from "../../files/private.js";
import { Checkpoints, DEFAULT_CHECKPOINTS, type CheckpointOptions } from "./checkpoints.js";

export type Row = Record<string, unknown>;
export type Statement = Database.Statement<unknown[], Row>;

export class Connection {
  readonly db: Database.Database;
  readonly file: string;
  private readonly statements = new Map<string, Statement>();
  private pending: { fn: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  private flushing = false;
  // Built once: db.transaction() compiles wrappers, too slow to repeat per write.
  private readonly inTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  /** Undefined for a database in memory: it has no WAL. */
  readonly checkpoints: Checkpoints | undefined;

  constructor(file: string, options: { checkpoints?: CheckpointOptions } = {}) {
    this.file = file;
    if (!isSpecialName(file)) makePrivate(file);
    this.db = new Database(file);
    // busy_timeout first: switching to WAL takes a lock another process may hold.
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("journal_mode = WAL");
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
    this.flushWrites();
    return this.commit(fn);
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
   * batched writes asked for in the same turn of the event loop (before the
   * microtask queue empties). A commit costs more than the small writes a run
   * makes (bench/fire: a thousand runs starting at one instant made 4,000
   * commits a second, 40 % of the engine's time). Each write keeps its own
   * savepoint, so one that fails is undone alone and only its promise
   * rejects; each promise settles after the commit. Order is kept: writes
   * run in the order asked, and any other use of the connection (a read, an
   * unbatched write) first commits what is waiting.
   */
  batchedWrite<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.length === 1) queueMicrotask(() => this.flushWrites());
    });
  }

  /** Commits the batched writes waiting, if any (not from inside the commit itself). */
  private flushWrites(): void {
    if (this.pending.length === 0 || this.flushing) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = true;
    if (batch.length === 1) {
      const [write] = batch as [(typeof batch)[0]];
      try {
        write.resolve(this.commit(write.fn));
      } catch (error) {
        write.reject(error);
      } finally {
        this.flushing = false;
      }
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.commit(() => {
        for (const write of batch) {
          try {
            // Nested in the open transaction, better-sqlite3 makes this a savepoint.
            outcomes.push({ ok: true, value: this.inTransaction(write.fn) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed (busy, disk full): nothing of the batch is stored.
      for (const write of batch) write.reject(error);
      return;
    } finally {
      this.flushing = false;
    }
    batch.forEach((write, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }

  /** A moment when the engine expects nothing for a while: see Checkpoints.maintain. */
  maintain(): void {
    this.checkpoints?.maintain();
  }

  /** Commits what is waiting and closes; waits only when a checkpoint worker has to end first. */
  close(): Promise<void> {
    if (this.db.open) this.flushWrites();
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
