/**
 * The PostgreSQL store when the network between it and the server fails
 * (through the tests' TCP proxy): a COMMIT cut off on its way is settled by
 * asking the server whether it committed, and a connection gone silent is
 * found out by the store's own deadline.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Database } from "../../src/store/postgres/pool.js";
import { adminPool, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { toApiError } from "../../src/api/errors.js";
import { until } from "../helpers/poll.js";

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

/**
 * A transaction whose connection is cut `cutAfterMs` after its COMMIT went
 * out, each direction held 500 ms: before 500 ms the COMMIT never reaches the
 * server; between 500 and 1000 ms the server committed and its answer is lost.
 */
async function commitCutOff(db: Database, proxy: TcpProxy, cutAfterMs: number): Promise<{ result: string; tries: number }> {
  let tries = 0;
  const result = await db.transaction(async (sql) => {
    tries++;
    await sql.rows("INSERT INTO t (n) VALUES ($1)", [tries]);
    if (tries === 1) {
      proxy.delay(500);
      setTimeout(() => {
        proxy.cut();
        proxy.delay(0);
      }, cutAfterMs);
    }
    return `done on try ${tries}`;
  });
  return { result, tries };
}

// A connection's first transaction sends its BEGIN (and takes its id) in round trips of their own, which prepares them; the
// next ones send them with their first statement (preceded.ts): both ways must know the id before COMMIT goes out.
for (const warm of [false, true]) {
  const how = warm ? " (its BEGIN and id sent with its first statement)" : "";
  /** The store through the proxy, its connection warmed by a transaction first when `warm`. */
  const open = async (t: TestContext) => {
    const opened = await behindProxy(t);
    if (warm) await opened.db.transaction((sql) => sql.one("SELECT 1"));
    return opened;
  };

  test(`a COMMIT cut off before it reached the server: the server says the transaction did not commit, and it runs again, once${how}`, async (t) => {
    const { db, proxy, rows } = await open(t);
    const { result, tries } = await commitCutOff(db, proxy, 150);
    assert.deepEqual({ result, tries }, { result: "done on try 2", tries: 2 });
    assert.deepEqual(await rows(), [2], "the first try's insert was rolled back");
  });

  test(`a COMMIT the server carried out whose answer was cut off: not run again, and its result is returned${how}`, async (t) => {
    const { db, proxy, rows } = await open(t);
    const { result, tries } = await commitCutOff(db, proxy, 800);
    assert.deepEqual({ result, tries }, { result: "done on try 1", tries: 1 });
    assert.deepEqual(await rows(), [1], "committed once");
  });
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

test("a database that cannot be reached, or ends the session, is the API's 503 (try again), never a 500; a bad statement stays a bug", async (t) => {
  const schema = await freshSchema(t);
  const proxy = await startTcpProxy();
  const refused = proxy.through(POSTGRES_URL);
  await proxy.close();
  const gone = new Database(refused, { schema });
  t.after(() => gone.close());
  const notReached = await gone.transaction((sql) => sql.rows("SELECT 1")).catch((error: unknown) => error);
  assert.equal(toApiError(notReached)?.status, 503, String(notReached));
  assert.match(toApiError(notReached)!.message, /^the engine's database did not answer \(.*ECONNREFUSED.*\): try again in a moment/);

  const db = new Database(POSTGRES_URL, { schema, applicationName: "spire-test-ended" });
  t.after(() => db.close());
  const admin = await adminPool();
  const sleeping = db.transaction((sql) => sql.rows("SELECT pg_sleep(30)")).catch((error: unknown) => error);
  await until(async () => (await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'spire-test-ended' AND query LIKE '%pg_sleep%'")).rowCount === 1, "the statement to be ended");
  const ended = await sleeping;
  assert.equal(toApiError(ended)?.status, 503, String(ended));

  const bad = await db.transaction((sql) => sql.rows("SELEC 1")).catch((error: unknown) => error);
  assert.equal(toApiError(bad), undefined, "a statement PostgreSQL cannot parse is Spire's bug: a 500, its message kept from the client");
});
