/**
 * A PostgreSQL transaction's round trips (pool.ts, preceded.ts): once its
 * connection has the opening statements prepared, a transaction sends its
 * BEGIN (and a write its id) with its first statement, and is its
 * statements and a COMMIT. Whatever fails in that first round trip or after
 * leaves nothing written, and the connection serves the next transaction.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { Database } from "../../src/store/postgres/pool.js";
import { adminPool, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";

/** A store's connection (one, so every transaction takes the same) on a schema with a table `t (n int)`. */
async function oneConnection(t: TestContext): Promise<{ db: Database; rows(): Promise<number[]> }> {
  const schema = await freshSchema(t);
  const admin = await adminPool();
  await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (n int)`);
  const db = new Database(POSTGRES_URL, { schema, poolSize: 1 });
  t.after(() => db.close());
  // The connection's first transaction prepares what opens the next ones.
  await db.transaction((sql) => sql.one("SELECT 1"));
  await db.transaction((sql) => sql.one("SELECT 1"), "read");
  const rows = async () => (await admin.query<{ n: number }>(`SELECT n FROM ${schema}.t ORDER BY n`)).rows.map((row) => row.n);
  return { db, rows };
}

/** The queries node-postgres is handed (one exchange with the server each) while `work` runs. */
async function queriesDuring(t: TestContext, work: () => Promise<unknown>): Promise<string[]> {
  const original = pg.Client.prototype.query;
  const sent: string[] = [];
  t.after(() => void (pg.Client.prototype.query = original));
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    sent.push(typeof config === "string" ? config : (config.text ?? "?"));
    return (original as (...args: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await work();
  } finally {
    pg.Client.prototype.query = original;
  }
  return sent;
}

test("a write transaction is its statements and a COMMIT: its BEGIN and id go with the first statement, inside the transaction", async (t) => {
  const { db, rows } = await oneConnection(t);
  let seen: { inside: unknown; same: unknown } | undefined;
  const sent = await queriesDuring(t, () =>
    db.transaction(async (sql) => {
      // An id is assigned already (the BEGIN's companion took it), and the two statements share one transaction.
      const first = (await sql.one("INSERT INTO t (n) VALUES (1) RETURNING pg_current_xact_id_if_assigned()::text AS xid"))!;
      const second = (await sql.one("SELECT pg_current_xact_id_if_assigned()::text AS xid"))!;
      seen = { inside: first.xid !== null, same: first.xid === second.xid };
    }),
  );
  assert.deepEqual(sent, ["INSERT INTO t (n) VALUES (1) RETURNING pg_current_xact_id_if_assigned()::text AS xid", "SELECT pg_current_xact_id_if_assigned()::text AS xid", "COMMIT"]);
  assert.deepEqual(seen, { inside: true, same: true });
  assert.deepEqual(await rows(), [1]);
});

test("a read transaction opens its snapshot with its first statement: repeatable read, read only", async (t) => {
  const { db } = await oneConnection(t);
  let setting: unknown;
  const sent = await queriesDuring(t, () =>
    db.transaction(async (sql) => {
      setting = await sql.one("SELECT current_setting('transaction_isolation') AS isolation, current_setting('transaction_read_only') AS read_only");
    }, "read"),
  );
  assert.deepEqual(setting, { isolation: "repeatable read", read_only: "on" });
  assert.equal(sent.length, 2, sent.join(" | "));
});

test("a transaction that sends nothing opens none", async (t) => {
  const { db } = await oneConnection(t);
  const sent = await queriesDuring(t, () => db.transaction(async () => "nothing"));
  assert.deepEqual(sent, []);
});

test("a failure in the first round trip or after leaves nothing written, and the connection serves the next transaction", async (t) => {
  const { db, rows } = await oneConnection(t);
  // The first statement itself refused: its transaction was opened with it, and is rolled back.
  await assert.rejects(db.transaction((sql) => sql.one("INSERT INTO t (n) VALUES ('not a number')")), /invalid input syntax/);
  // A check that raises after a write, as a batch's fencing does: the write goes with it.
  await assert.rejects(
    db.transaction(async (sql) => {
      await sql.one("INSERT INTO t (n) VALUES (2)");
      await sql.one("SELECT 1 / (SELECT count(*) FROM t WHERE n = 99)::int AS raised");
    }),
    /division by zero/,
  );
  // An error of the work's own after its first statement: rolled back too.
  await assert.rejects(
    db.transaction(async (sql) => {
      await sql.one("INSERT INTO t (n) VALUES (3)");
      throw new Error("refused by the caller");
    }),
    /refused by the caller/,
  );
  assert.deepEqual(await rows(), []);
  // The same connection (pool of one): a new transaction, nothing left open of the failed ones.
  const xid = await db.transaction(async (sql) => {
    await sql.one("INSERT INTO t (n) VALUES (4)");
    return (await sql.one("SELECT pg_current_xact_id()::text AS xid, (SELECT count(*) FROM t)::int AS n"))!;
  });
  assert.equal(xid.n, 1);
  assert.deepEqual(await rows(), [4]);
});
