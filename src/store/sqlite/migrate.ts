/**
 * Applies the numbered migrations. Each runs in its own IMMEDIATE
 * transaction and re-checks, under the write lock, whether another process
 * got there first, so two processes opening a fresh file at once are safe.
 */
import type { Connection } from "./connection.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { SchemaTooNewError } from "../errors.js";

const CREATE_LEDGER = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

export function migrate(conn: Connection, migrations: readonly Migration[] = MIGRATIONS, now = Date.now): void {
  assertOrdered(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  conn.writeTransaction(() => conn.db.exec(CREATE_LEDGER));
  const found = schemaVersion(conn);
  if (found > known) throw new SchemaTooNewError(conn.file, found, known);
  for (const migration of migrations) {
    if (migration.version <= found) continue;
    conn.writeTransaction(() => {
      if (isApplied(conn, migration.version)) return;
      conn.db.exec(migration.sql);
      conn
        .statement("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
        .run(migration.version, migration.name, now());
    });
  }
}

/** The highest migration applied to this database (0 when none). */
export function schemaVersion(conn: Connection): number {
  const row = conn.statement("SELECT coalesce(max(version), 0) AS v FROM schema_migrations").get();
  return Number(row?.v ?? 0);
}

function isApplied(conn: Connection, version: number): boolean {
  return conn.statement("SELECT 1 FROM schema_migrations WHERE version = ?").get(version) !== undefined;
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`store: migration ${migration.name} has version ${migration.version}, expected ${index + 1}`);
    }
  });
}
