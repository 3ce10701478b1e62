/**
 * One better-sqlite3 connection with Spire's pragmas and a cache of prepared
 * statements (preparing costs more than running a small statement, and the
 * engine writes several times per task).
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

export type Row = Record<string, unknown>;
export type Statement = Database.Statement<unknown[], Row>;

export class Connection {
  readonly db: Database.Database;
  readonly file: string;
  private readonly statements = new Map<string, Statement>();
  // Built once: db.transaction() compiles wrappers, too slow to repeat per write.
  private readonly inTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(file: string) {
    this.file = file;
    if (!isSpecialName(file)) mkdirSync(dirname(resolve(file)), { recursive: true });
    this.db = new Database(file);
    // busy_timeout first: switching to WAL takes a lock another process may hold.
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("journal_mode = WAL");
    // NORMAL under WAL: a commit survives a process crash; only a power cut
    // can lose the last few, and never corrupts the file.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.inTransaction = this.db.transaction((fn: () => unknown) => fn());
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): Statement {
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
    return this.inTransaction.immediate(fn) as T;
  }

  /** Runs `fn` in a read transaction: one consistent snapshot for several queries. */
  readTransaction<T>(fn: () => T): T {
    return this.inTransaction.deferred(fn) as T;
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.statements.clear();
  }
}

function isSpecialName(file: string): boolean {
  return file === ":memory:" || file === "" || file.startsWith("file:");
}
