/**
 * The local PostgreSQL the PostgreSQL store's tests use: an empty schema per
 * test in one database (SPIRE_TEST_POSTGRES, or the `test` database of the
 * server on 127.0.0.1:5432 that .ci/run starts). A server that does not
 * answer fails the test, saying how to start it: never a silent skip.
 */
import { after, type TestContext } from "node:test";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { locationOf } from "../../src/store/postgres/location.js";

export const POSTGRES_URL = process.env.SPIRE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

const HOW_TO_START = [
  `PostgreSQL does not answer at ${locationOf(POSTGRES_URL)} (set SPIRE_TEST_POSTGRES to use another).`,
  "Start the local server:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
  "and make the database:   createdb -h 127.0.0.1 -U postgres test",
  "(.ci/run does both, and installs postgresql on a machine without it).",
].join("\n");

/** One connection pool for the file's own statements (making and dropping schemas, looking at tables). */
let admin: pg.Pool | undefined;
let reachable: Promise<pg.Pool> | undefined;
// Registered here, at the file's top level (inside a test it would run after that test): the spare schemas go, then the pool.
after(async () => {
  if (made.size > 0) await admin?.query(`DROP SCHEMA IF EXISTS ${[...made].join(", ")} CASCADE`);
  await admin?.end();
});

/** The pool for statements of the test itself; fails with how to start PostgreSQL when it does not answer. */
export function adminPool(): Promise<pg.Pool> {
  reachable ??= (async () => {
    admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, connectionTimeoutMillis: 5_000 });
    admin.on("error", () => {});
    try {
      await admin.query("SELECT 1");
    } catch (error) {
      throw new Error(`${HOW_TO_START}\n(${(error as Error).message})`);
    }
    return admin;
  })();
  return reachable;
}

/**
 * A new schema name for this test, never used before: for tests of what
 * init does to a new schema. Its schema (made by the store's init, or by the
 * test) is dropped with everything in it after the test.
 */
export async function freshSchema(t: TestContext): Promise<string> {
  const pool = await adminPool();
  const schema = newSchemaName();
  t.after(() => pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  return schema;
}

/**
 * Schemas of tests that ended, emptied, for the next test to take: making
 * a schema's tables costs a few hundred milliseconds of DDL and fsyncs,
 * where emptying them costs a few; a hundred tests on new schemas took
 * most of a minute. Dropped when the file's tests are done.
 */
const spare: string[] = [];
const made = new Set<string>();

/**
 * An empty schema for this test, as if new: a spare one emptied by the test
 * that had it (its tables made already, its seqs back to 0), or a new name
 * for the store's init to make. The tests of one file run one at a time.
 */
export async function cleanSchema(t: TestContext): Promise<string> {
  const pool = await adminPool();
  const schema = spare.pop() ?? newSchemaName();
  made.add(schema);
  t.after(async () => {
    try {
      await empty(pool, schema);
      spare.push(schema);
    } catch {
      // Still in use or broken by the test: it is dropped with the others at the end, not handed on.
    }
  });
  return schema;
}

/**
 * Deletes every row but the ledger's, runs first (their task runs, events and
 * claims go with them), and sets the seq counters back to 0. DELETE, not
 * TRUNCATE: on tables this small it takes a millisecond, TRUNCATE hundreds.
 */
async function empty(pool: pg.Pool, schema: string): Promise<void> {
  const tables = await pool.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename NOT IN ('schema_migrations', 'seq_counters') ORDER BY tablename <> 'runs', tablename", [schema]);
  const deletes = tables.rows.map(({ name }) => `DELETE FROM ${schema}.${pg.escapeIdentifier(name)};`).join("\n");
  const counters = tables.rows.length > 0 ? `UPDATE ${schema}.seq_counters SET value = 0;` : "";
  // One query of several statements: one transaction, all or nothing; a lock held by a stuck store fails it.
  await pool.query(`SELECT set_config('lock_timeout', '2s', true);\n${deletes}\n${counters}`);
}

function newSchemaName(): string {
  return `spire_test_${randomBytes(6).toString("hex")}`;
}

/** Rows of a statement run outside any store, in `schema`. */
export async function rowsIn(schema: string, text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = await (await adminPool()).connect();
  try {
    await client.query(`SET search_path = ${pg.escapeIdentifier(schema)}`);
    return (await client.query(text, values)).rows as Record<string, unknown>[];
  } finally {
    await client.query("RESET search_path").catch(() => {});
    client.release();
  }
}
