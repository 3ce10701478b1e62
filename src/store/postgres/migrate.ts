/**
 * Applies the numbered migrations, all missing ones in one transaction
 * (PostgreSQL's DDL is transactional: a failed upgrade leaves the schema as
 * it was). Engines starting together against one database take turns on an
 * advisory lock held to the commit: the first creates, the others find it done.
 */
import pg from "pg";
import type { Database, Sql } from "./pool.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { SchemaTooNewError } from "../errors.js";

const CREATE_LEDGER = `
CREATE TABLE schema_migrations (
  version     INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  applied_at  BIGINT NOT NULL
)`;

/**
 * `schema` is the store's own, when it was given one; `where` names the
 * database in errors (never with its password).
 */
export async function migrate(db: Database, schema: string | undefined, where: string, migrations: readonly Migration[] = MIGRATIONS, now = Date.now): Promise<void> {
  assertOrdered(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  await db.transaction(async (sql) => {
    // One lock per schema: stores in other schemas of the database migrate at the same time.
    await sql.rows("SELECT pg_advisory_xact_lock(hashtext('spire: migrations'), hashtext(coalesce($1::text, current_schema(), '')))", [schema ?? null]);
    // Looked up before creating: CREATE … IF NOT EXISTS asks for the right to create even when there is nothing to.
    if (schema !== undefined && !(await sql.one("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]))) {
      await sql.rows(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    }
    if ((await sql.one("SELECT to_regclass('schema_migrations') AS ledger"))?.ledger === null) await sql.rows(CREATE_LEDGER);
    const found = await schemaVersion(sql);
    if (found > known) throw new SchemaTooNewError(where, found, known);
    for (const migration of migrations) {
      if (migration.version <= found) continue;
      await sql.rows(migration.sql);
      await sql.rows("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [migration.version, migration.name, now()]);
    }
  });
}

/** The highest migration applied (0 when none). */
export async function schemaVersion(sql: Sql): Promise<number> {
  const row = await sql.one("SELECT coalesce(max(version), 0) AS v FROM schema_migrations");
  return Number(row?.v ?? 0);
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`store: migration ${migration.name} has version ${migration.version}, expected ${index + 1}`);
    }
  });
}
