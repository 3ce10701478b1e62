import { describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { tempDir } from "../helpers/tmp.js";
import { storeContract } from "./contract.js";
import { anAudit, aPipeline, aRun, aToken, runCreated, taskChange } from "./fixtures.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore, MIGRATIONS } from "../../src/store/sqlite/index.js";
import { Connection } from "../../src/store/sqlite/connection.js";
import { migrate } from "../../src/store/sqlite/migrate.js";
import { SchemaTooNewError } from "../../src/store/errors.js";
import { toApiError } from "../../src/api/errors.js";

// Which file each store was opened on, so the contract can open a sibling.
const files = new WeakMap<Store, string>();

storeContract("sqlite", async (t, shareWith) => {
  const file = shareWith ? files.get(shareWith) : join(tempDir(t, "spire-store-"), "spire.db");
  assert.ok(file, "shareWith must be a store this factory opened");
  const store = openSqliteStore(file);
  files.set(store, file);
  return store;
});

/** A store on a new file in a temp folder, initialised, closed after the test. */
async function freshStore(t: TestContext, file = join(tempDir(t, "spire-store-"), "spire.db")): Promise<{ store: Store; file: string }> {
  const store = openSqliteStore(file);
  t.after(() => store.close());
  await store.init();
  return { store, file };
}

/** A plain connection beside the store's, to look at the file directly. */
function peek(t: TestContext, file: string): Database.Database {
  const db = new Database(file);
  t.after(() => db.close());
  return db;
}

describe("sqlite store", () => {
  test("creates the missing parent folders and the file", async (t) => {
    const file = join(tempDir(t), "a", "b", "spire.db");
    await freshStore(t, file);
    assert.ok(existsSync(file));
  });

  test("uses WAL, and each connection gets NORMAL sync, a busy timeout and foreign keys", async (t) => {
    const file = join(tempDir(t), "spire.db");
    const conn = new Connection(file);
    t.after(() => conn.close());
    assert.equal(conn.db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(conn.db.pragma("synchronous", { simple: true }), 1);
    assert.equal(conn.db.pragma("busy_timeout", { simple: true }), 5000);
    assert.equal(conn.db.pragma("foreign_keys", { simple: true }), 1);
    // WAL is a property of the file: another connection sees it too.
    assert.equal(peek(t, file).pragma("journal_mode", { simple: true }), "wal");
  });

  test("records each migration once, however often init runs", async (t) => {
    const { store, file } = await freshStore(t);
    await store.init();
    const again = openSqliteStore(file);
    await again.init();
    await again.close();
    const rows = peek(t, file).prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
    assert.deepEqual(rows, MIGRATIONS.map(({ version, name }) => ({ version, name })));
  });

  test("refuses a database written by a newer Spire, and says what to do", async (t) => {
    const { store, file } = await freshStore(t);
    await store.close();
    peek(t, file).prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)").run(MIGRATIONS.length + 6);
    const newer = openSqliteStore(file);
    t.after(() => newer.close());
    const known = MIGRATIONS.length;
    await assert.rejects(newer.init(), (error: unknown) => {
      assert.ok(error instanceof SchemaTooNewError);
      assert.equal(
        error.message,
        `${file}: this database was written by a newer Spire (schema ${known + 6}; this one knows ${known}): upgrade Spire`,
      );
      return true;
    });
  });

  test("a migration list out of order is a programming error", (t) => {
    const conn = new Connection(join(tempDir(t), "spire.db"));
    t.after(() => conn.close());
    const skipped = [{ version: 1, name: "a", sql: "" }, { version: 3, name: "c", sql: "" }];
    assert.throws(() => migrate(conn, skipped), /migration c has version 3, expected 2/);
  });

  test("a failing migration is rolled back and leaves the earlier ones applied", (t) => {
    const conn = new Connection(join(tempDir(t), "spire.db"));
    t.after(() => conn.close());
    const list = [
      { version: 1, name: "good", sql: "CREATE TABLE good (x INTEGER)" },
      { version: 2, name: "bad", sql: "CREATE TABLE half (x INTEGER); CREATE TABLE good (y INTEGER)" },
    ];
    assert.throws(() => migrate(conn, list), /already exists/);
    const tables = conn.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('good', 'half')").all();
    assert.deepEqual(tables, [{ name: "good" }]);
    assert.deepEqual(conn.db.prepare("SELECT version FROM schema_migrations").all(), [{ version: 1 }]);
  });

  test("the database itself refuses to rewrite an event", async (t) => {
    const { store, file } = await freshStore(t);
    await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    assert.throws(() => peek(t, file).prepare("UPDATE events SET type = 'forged'").run(), /append-only/);
    assert.equal((await store.listEvents("r1", 0, 1))[0]?.type, "run.created");
  });

  test("the database itself refuses to rewrite an audit entry", async (t) => {
    const { store, file } = await freshStore(t);
    await store.appendAudit(anAudit("apply"));
    assert.throws(() => peek(t, file).prepare("UPDATE audit SET actor = 'someone else'").run(), /append-only/);
    assert.equal((await store.listAudit({ limit: 1 }))[0]?.actor, "cli:jane");
  });

  test("the database itself keeps live token names unique, whoever writes", async (t) => {
    const { store, file } = await freshStore(t);
    await store.createToken(aToken("t1", { name: "ci" }));
    const insert = peek(t, file).prepare("INSERT INTO tokens (id, name, scope, created_at, revoked_at) VALUES (?, 'ci', 'read', 0, ?)");
    assert.throws(() => insert.run("t2", null), /UNIQUE/);
    insert.run("t3", 5);
    assert.deepEqual((await store.listTokens()).map((row) => row.id).sort(), ["t1", "t3"]);
  });

  test("a database made by migration 1 upgrades in place and keeps its rows", async (t) => {
    const file = join(tempDir(t), "spire.db");
    const conn = new Connection(file);
    migrate(conn, MIGRATIONS.slice(0, 1));
    conn.db.prepare("INSERT INTO pipelines VALUES ('home', 'backup', '{}', 'd', 1, 5, 6)").run();
    conn.close();
    const { store } = await freshStore(t, file);
    assert.deepEqual(await store.getPipeline("home", "backup"), aPipeline("home", "backup", { definition: {}, digest: "d", paused: true, created_at: 5, updated_at: 6 }));
    await store.createToken(aToken("t1"));
    assert.equal((await store.getToken("t1"))?.name, "token-t1");
  });

  test("migration 7 keeps every slot and its uniqueness, and keys slots by time", async (t) => {
    const file = join(tempDir(t), "spire.db");
    const conn = new Connection(file);
    migrate(conn, MIGRATIONS.slice(0, 6));
    conn.db.prepare("INSERT INTO slots VALUES ('home', 'backup', '0:cron', 1000, 'run', NULL, 1001)").run();
    conn.db.prepare("INSERT INTO slots VALUES ('home', 'report', '0:cron', 500, 'run', NULL, 501)").run();
    conn.close();
    await freshStore(t, file);
    const db = peek(t, file);
    assert.deepEqual(db.prepare("SELECT slot, pipeline, recorded_at FROM slots ORDER BY slot").all(), [
      { slot: 500, pipeline: "report", recorded_at: 501 },
      { slot: 1000, pipeline: "backup", recorded_at: 1001 },
    ]);
    assert.throws(() => db.prepare("INSERT INTO slots VALUES (1000, 'home', 'backup', '0:cron', 'run', NULL, 2)").run(), /UNIQUE constraint failed/);
    // Time first: one instant's claims are neighbours in the tree, whatever their pipelines.
    const key = db.prepare("SELECT name FROM pragma_index_xinfo('sqlite_autoindex_slots_1') WHERE key = 1 ORDER BY seqno").all();
    assert.deepEqual(key, [{ name: "slot" }, { name: "namespace" }, { name: "pipeline" }, { name: "trigger_key" }]);
  });

  test("migration 11 keeps every token and session with its indexes, takes the worker scope, and keeps the tokens' checks", async (t) => {
    const file = join(tempDir(t), "spire.db");
    const conn = new Connection(file);
    migrate(conn, MIGRATIONS.slice(0, 10));
    conn.db.prepare("INSERT INTO tokens (id, name, scope, created_at, expires_at, revoked_at, last_used_at, kind, parent_id) VALUES ('t1', 'ci', 'run', 1, 9, NULL, 3, 'token', NULL)").run();
    conn.db.prepare("INSERT INTO tokens (id, name, scope, created_at, expires_at, revoked_at, last_used_at, kind, parent_id) VALUES ('s1', 'session of ci', 'run', 2, NULL, NULL, NULL, 'session', 't1')").run();
    assert.throws(() => conn.db.prepare("INSERT INTO tokens (id, name, scope, created_at) VALUES ('w0', 'gpu', 'worker', 1)").run(), /CHECK/);
    conn.close();
    const { store } = await freshStore(t, file);
    assert.deepEqual(await store.getToken("t1"), aToken("t1", { name: "ci", scope: "run", created_at: 1, expires_at: 9, last_used_at: 3 }));
    assert.deepEqual(await store.getToken("s1"), aToken("s1", { name: "session of ci", scope: "run", created_at: 2, expires_at: null, kind: "session", parent_id: "t1" }));
    await store.createToken(aToken("w1", { name: "gpu", scope: "worker" }));
    assert.equal((await store.getToken("w1"))?.scope, "worker");
    const db = peek(t, file);
    assert.throws(() => db.prepare("INSERT INTO tokens (id, name, scope, created_at) VALUES ('x', 'x', 'root', 1)").run(), /CHECK/);
    assert.throws(() => db.prepare("INSERT INTO tokens (id, name, scope, created_at) VALUES ('y', 'ci', 'read', 1)").run(), /UNIQUE/);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tokens' AND sql IS NOT NULL ORDER BY name").all();
    assert.deepEqual(indexes, [{ name: "tokens_by_parent" }, { name: "tokens_by_time" }, { name: "tokens_live_name" }]);
  });

  test("migration 12 gives runs a seed: runs from before keep theirs as none (null), new ones store theirs", async (t) => {
    const file = join(tempDir(t), "spire.db");
    const conn = new Connection(file);
    migrate(conn, MIGRATIONS.slice(0, 11));
    conn.db
      .prepare(
        `INSERT INTO runs (id, namespace, pipeline, state, "trigger", args, definition, "partition", reason, created_at, started_at, finished_at, warnings, errors, metrics)
         VALUES ('old', 'home', 'backup', 'succeeded', '{"kind":"manual"}', '{}', '{}', NULL, NULL, 1, 2, 3, 0, 0, '{}')`,
      )
      .run();
    conn.close();
    const { store } = await freshStore(t, file);
    assert.equal((await store.getRun("old"))?.run.seed, null);
    const run = aRun("new", { seed: 7 });
    await store.createRun(run, runCreated(run));
    assert.equal((await store.getRun("new"))?.run.seed, 7);
  });

  test("a task's kept texts go with its run when retention deletes it", async (t) => {
    const { store, file } = await freshStore(t);
    await store.createRun(aRun("r1", { state: "succeeded" }), runCreated(aRun("r1")));
    await store.write([taskChange("r1", "dump", "task.finished", { state: "succeeded", messages: [{ level: "warning", text: "w", ts: 1, stream: "stdout" }] })]);
    const count = () => (peek(t, file).prepare("SELECT count(*) AS n FROM task_messages").get() as { n: number }).n;
    assert.equal(count(), 1);
    assert.deepEqual(await store.deleteRuns(["r1"]), ["r1"]);
    assert.equal(count(), 0);
  });

  test("counting a pipeline's unfinished runs reads the small index of unfinished runs", async (t) => {
    const { store, file } = await freshStore(t);
    await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    assert.equal(await store.countRuns({ namespace: aRun("r1").namespace, pipeline: aRun("r1").pipeline, states: ["queued", "running"] }), 1);
    // The statement countRuns prepares for it, with values.
    const sql = "SELECT count(*) FROM runs WHERE state IN (?, ?) AND namespace = ? AND pipeline = ? AND state IN ('queued', 'running')";
    const plan = peek(t, file).prepare(`EXPLAIN QUERY PLAN ${sql}`).all("queued", "running", "home", "backup");
    assert.match(JSON.stringify(plan), /runs_unfinished_by_pipeline/);
    // A finished run is not in it.
    const entries = peek(t, file).prepare("SELECT count(*) AS n FROM runs INDEXED BY runs_unfinished_by_pipeline WHERE state IN ('queued', 'running')").get() as { n: number };
    assert.equal(entries.n, 1);
    await store.write([{ event: { run_id: "r1", ts: 9, type: "run.finished", task_path: null, attempt: null, data: { state: "succeeded" } }, run: { id: "r1", state: "succeeded", finished_at: 9 } }]);
    const after = peek(t, file).prepare("SELECT count(*) AS n FROM runs INDEXED BY runs_unfinished_by_pipeline WHERE state IN ('queued', 'running')").get() as { n: number };
    assert.equal(after.n, 0);
    assert.equal(await store.countRuns({ namespace: aRun("r1").namespace, pipeline: aRun("r1").pipeline, states: ["succeeded"] }), 1);
  });

  test("a run started and finished in one write is one UPDATE of its row, with every field of both", async (t) => {
    const { store, file } = await freshStore(t);
    await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    // Counts the UPDATEs the store's own connection makes.
    peek(t, file).exec("CREATE TABLE run_updates (n INTEGER); CREATE TRIGGER count_run_updates AFTER UPDATE ON runs BEGIN INSERT INTO run_updates VALUES (1); END;");
    const event = (type: string, ts: number) => ({ run_id: "r1", ts, type, task_path: null, attempt: null, data: {} });
    const stored = await store.write([
      { event: event("run.started", 5), run: { id: "r1", state: "running", started_at: 5, reason: "kept" } },
      // `reason: undefined` sets nothing: the first patch's reason stays.
      { event: event("run.finished", 9), run: { id: "r1", state: "succeeded", finished_at: 9, reason: undefined } },
    ]);
    assert.deepEqual(stored.map((row) => row.type), ["run.started", "run.finished"], "each change keeps its event, in order");
    assert.equal((peek(t, file).prepare("SELECT count(*) AS n FROM run_updates").get() as { n: number }).n, 1);
    const { run } = (await store.getRun("r1"))!;
    assert.deepEqual([run.state, run.started_at, run.finished_at, run.reason], ["succeeded", 5, 9, "kept"]);
  });

  test("a writer in another thread and this one write at the same time without failing", async (t) => {
    const { store, file } = await freshStore(t);
    await store.createRun(aRun("main"), runCreated(aRun("main")));
    const writes = 2000;
    const worker = new Worker(new URL("./sqlite-writer.worker.js", import.meta.url), {
      workerData: { file, runId: "other", writes },
    });
    t.after(() => worker.terminate());
    const messages: Array<{ ready?: boolean; seqs?: number[] }> = [];
    worker.on("message", (message: { ready?: boolean; seqs?: number[] }) => messages.push(message));
    const exited = once(worker, "exit");
    await once(worker, "message"); // ready: its connection is open, so the two loops overlap
    const seqs: number[] = [];
    for (let i = 0; i < writes; i++) {
      seqs.push(...(await store.write([taskChange("main", `t${i}`, "task.started")])).map((e) => e.seq));
    }
    const [code] = (await exited) as [number];
    assert.equal(code, 0);
    const theirs = messages.find((m) => m.seqs)?.seqs ?? [];
    assert.equal(theirs.length, writes);
    assert.equal(new Set([...seqs, ...theirs]).size, 2 * writes);
    t.diagnostic(`writer switches: ${switches(seqs, theirs)} (more than 1 means the transactions interleaved)`);
    assert.equal((await store.getRun("other"))?.tasks.length, writes);
  });

  test("two connections initialising one new file at once both succeed", async (t) => {
    const file = join(tempDir(t), "spire.db");
    const stores = [openSqliteStore(file), openSqliteStore(file)];
    t.after(() => Promise.all(stores.map((store) => store.close())));
    await Promise.all(stores.map((store) => store.init()));
    await stores[0]!.createRun(aRun("r1"), runCreated(aRun("r1")));
    assert.equal((await stores[1]!.getRun("r1"))?.run.id, "r1");
  });
});

/** How often the owner of consecutive seqs changes between the two writers. */
function switches(ours: number[], theirs: number[]): number {
  const mine = new Set(ours);
  const all = [...ours, ...theirs].sort((a, b) => a - b);
  return all.filter((seq, i) => i > 0 && mine.has(seq) !== mine.has(all[i - 1]!)).length;
}

test("a write that waits out the busy timeout behind another process's lock is the API's 503 (try again), not a 500", (t) => {
  const file = join(tempDir(t, "spire-store-"), "spire.db");
  const connection = new Connection(file);
  t.after(() => connection.close());
  connection.db.exec("CREATE TABLE t (x INTEGER)");
  // The engine waits 5 s for a lock; the test need not.
  connection.db.pragma("busy_timeout = 50");
  const other = new Database(file);
  t.after(() => other.close());
  other.exec("BEGIN IMMEDIATE");
  let thrown: unknown;
  try {
    connection.writeTransaction(() => connection.db.prepare("INSERT INTO t VALUES (1)").run());
  } catch (error) {
    thrown = error;
  }
  assert.match(String((thrown as { code?: string } | undefined)?.code), /^SQLITE_BUSY/);
  const answer = toApiError(thrown);
  assert.equal(answer?.status, 503);
  assert.match(answer!.message, /^the engine's database did not answer \(database is locked\): try again in a moment/);
  other.exec("ROLLBACK");
  connection.writeTransaction(() => connection.db.prepare("INSERT INTO t VALUES (2)").run());
  assert.deepEqual(connection.db.prepare("SELECT x FROM t").pluck().all(), [2], "nothing of the refused write, the next one stored");
});
