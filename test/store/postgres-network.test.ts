/**
 * The PostgreSQL store when the network between it and the server fails
 * (through the tests' TCP proxy): a connection gone silent is found out by
 * the store's own deadline.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Database } from "../../src/store/postgres/pool.js";
import { adminPool, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

/** A store's connections through a proxy, on a schema with a table `t (n int)`, once up (lost connections ridden out). */
async function behindProxy(t: TestContext, answerDeadlineMs?: number): Promise<{ db: Database; proxy: TcpProxy; rows(): Promise<number[]> }> {
  const schema = await freshSchema(t);
  const admin = await adminPool();
  await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (n int)`);
  const proxy = await startTcpProxy();
  const db = new Database(proxy.through(POSTGRES_URL), { schema, ...(answerDeadlineMs !== undefined ? { answerDeadlineMs } : {}) });
  db.rideOutLostConnections = true;
  t.after(async () => {
    await db.close();
    await proxy.close();
  });
  const rows = async () => (await admin.query<{ n: number }>(`SELECT n FROM ${schema}.t ORDER BY n`)).rows.map((row) => row.n);
  return { db, proxy, rows };
}

test("a connection gone silent fails its statement at the deadline, and a transaction on one runs again on a new connection once the network is back", async (t) => {
  const { db, proxy, rows } = await behindProxy(t, 600);
  await db.sql.rows("SELECT 1");
  proxy.blackhole(true);
  const started = performance.now();
  // A statement alone may have run: its caller is told.
  await assert.rejects(db.sql.rows("INSERT INTO t (n) VALUES (0)"), /timeout/i);
  assert.ok(performance.now() - started < 3000, `told after ${Math.round(performance.now() - started)} ms`);
  // A transaction cut off before COMMIT is safe to run again: it waits out the silence on new connections.
  let lifted = Infinity;
  setTimeout(() => {
    lifted = performance.now();
    proxy.blackhole(false);
  }, 1500);
  let tries = 0;
  await db.transaction(async (sql) => {
    tries++;
    await sql.rows("INSERT INTO t (n) VALUES ($1)", [tries]);
  });
  assert.ok(performance.now() > lifted, "it committed once the network was back");
  assert.deepEqual(await rows(), [tries], "only the try that committed left its row");
});
