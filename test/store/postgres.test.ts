import { describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { storeContract } from "./contract.js";
import { anAudit, anEvent, aRun, aToken, runCreated, taskChange } from "./fixtures.js";
import type { EventRow, SlotClaim, Store } from "../../src/store/port.js";
import { openPostgresStore, MIGRATIONS, type PostgresOptions } from "../../src/store/postgres/index.js";
import { Database } from "../../src/store/postgres/pool.js";
import { SchemaTooNewError } from "../../src/store/errors.js";
import { adminPool, cleanSchema, freshSchema, POSTGRES_URL, rowsIn } from "../helpers/postgres.js";

// Which schema each store was opened on, so the contract can open a sibling (a second engine).
const schemas = new WeakMap<Store, string>();

storeContract("postgres", async (t, shareWith) => {
  const schema = shareWith ? schemas.get(shareWith) : await cleanSchema(t);
  assert.ok(schema, "shareWith must be a store this factory opened");
  return opened(schema);
});

function opened(schema: string, options: Omit<PostgresOptions, "schema"> = {}): Store {
  const store = openPostgresStore(POSTGRES_URL, { schema, ...options });
  schemas.set(store, schema);
  return store;
}

/** A store on an empty schema (a new one when `fresh`), initialised, closed after the test. */
async function freshStore(t: TestContext, options: Omit<PostgresOptions, "schema"> = {}, fresh = false): Promise<{ store: Store; schema: string }> {
  const schema = fresh ? await freshSchema(t) : await cleanSchema(t);
  const store = opened(schema, options);
  t.after(() => store.close());
  await store.init();
  return { store, schema };
}

/** Another store on the same schema, as another engine would open it. */
async function sibling(t: TestContext, schema: string, options: Omit<PostgresOptions, "schema"> = {}): Promise<Store> {
  const store = opened(schema, options);
  t.after(() => store.close());
  await store.init();
  return store;
}

const ledger = (schema: string) => rowsIn(schema, "SELECT version, name FROM schema_migrations ORDER BY version");
const migrationNames = MIGRATIONS.map(({ version, name }) => ({ version, name }));

describe("postgres store", () => {
  test("migrates a new schema once, however often and by however many stores init runs", async (t) => {
    const { store, schema } = await freshStore(t, {}, true);
    await store.init();
    await (await sibling(t, schema)).init();
    assert.deepEqual(await ledger(schema), migrationNames);
  });

  test("two stores initialising one new schema at once both succeed", async (t) => {
    const schema = await freshSchema(t);
    const stores = [opened(schema), opened(schema), opened(schema)];
    t.after(() => Promise.all(stores.map((store) => store.close())));
    await Promise.all(stores.map((store) => store.init()));
    assert.deepEqual(await ledger(schema), migrationNames);
    await stores[0]!.createRun(aRun("r1"), runCreated(aRun("r1")));
    assert.equal((await stores[2]!.getRun("r1"))?.run.id, "r1");
  });

  test("refuses a schema written by a newer Spire, and says what to do", async (t) => {
    const { schema } = await freshStore(t, {}, true);
    const future = MIGRATIONS.length + 6;
    await rowsIn(schema, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)", [future]);
    const newer = opened(schema);
    t.after(() => newer.close());
    await assert.rejects(newer.init(), (error: unknown) => {
      assert.ok(error instanceof SchemaTooNewError);
      assert.equal(error.found, future);
      assert.equal(error.known, MIGRATIONS.length);
      assert.match(error.message, new RegExp(`schema ${schema}.*upgrade Spire`));
      return true;
    });
  });

  test("a schema name that needs quoting works, and the tables are in it", async (t) => {
    const schema = `Spire Test-${(await freshSchema(t)).slice(-6)}`;
    t.after(async () => void (await (await adminPool()).query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)));
    const store = opened(schema);
    t.after(() => store.close());
    await store.init();
    await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    const [row] = await rowsIn(schema, "SELECT count(*)::int AS n FROM runs");
    assert.equal(row?.n, 1);
  });

  test("describe names the database and schema, never the password", async (t) => {
    const schema = "spire";
    const store = openPostgresStore("postgres://spire:s3cr%3At@db.example:5433/app?sslmode=require&password=other", { schema });
    t.after(() => store.close());
    const { kind, location } = store.describe();
    assert.equal(kind, "postgres");
    assert.equal(location, `postgres://spire@db.example:5433/app?sslmode=require (schema ${schema})`);
    assert.doesNotMatch(location, /s3cr|other/);
  });

  test("refuses what is not a PostgreSQL URL, without echoing a password", () => {
    assert.throws(() => openPostgresStore("mysql://u:hunter2@host/db"), (error: Error) => {
      assert.match(error.message, /mysql:\/\/u@host\/db is not a PostgreSQL URL: write it as postgres:\/\//);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

  test("each connection is set up: the schema as search_path, an idle-in-transaction timeout, the application name, BIGINT as a number", async (t) => {
    const schema = await freshSchema(t);
    const db = new Database(POSTGRES_URL, { schema, applicationName: "spire-test" });
    t.after(() => db.close());
    const row = await db.sql.one(
      "SELECT current_setting('search_path') AS path, current_setting('idle_in_transaction_session_timeout') AS idle, current_setting('application_name') AS app, 9007199254740991::bigint AS big, count(*) AS n FROM pg_class WHERE false",
    );
    assert.deepEqual(row, { path: `"${schema}"`, idle: "5s", app: "spire-test", big: Number.MAX_SAFE_INTEGER, n: 0 });
    await assert.rejects(db.sql.one("SELECT 9007199254740993::bigint AS big"), /does not fit a number/);
  });

  test("once the store is up, a transaction whose connection the server ends before COMMIT (pg_terminate_backend) runs again on a new connection", async (t) => {
    const db = new Database(POSTGRES_URL, { schema: await freshSchema(t) });
    t.after(() => db.close());
    db.rideOutLostConnections = true;
    let tries = 0;
    const result = await db.transaction(async (sql) => {
      tries++;
      if (tries === 1) await sql.one("SELECT pg_terminate_backend(pg_backend_pid())");
      return (await sql.one("SELECT 42 AS answer"))!.answer;
    });
    assert.equal(result, 42);
    assert.equal(tries, 2);
  });

  test("a transaction PostgreSQL aborts for a serialization failure or a deadlock runs again; other failures roll back at once", async (t) => {
    const db = new Database(POSTGRES_URL, { schema: await freshSchema(t) });
    t.after(() => db.close());
    let tries = 0;
    const result = await db.transaction(async (sql) => {
      tries++;
      await sql.one("SELECT 1");
      if (tries < 3) throw Object.assign(new Error("aborted"), { code: tries === 1 ? "40001" : "40P01" });
      return "done";
    });
    assert.deepEqual([result, tries], ["done", 3]);
    tries = 0;
    await assert.rejects(db.transaction(async () => (tries++, Promise.reject(Object.assign(new Error("unique"), { code: "23505" })))), /unique/);
    assert.equal(tries, 1);
  });

  test("the database itself refuses to rewrite an event or an audit entry", async (t) => {
    const { store, schema } = await freshStore(t);
    await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    await store.appendAudit(anAudit("apply"));
    await assert.rejects(rowsIn(schema, "UPDATE events SET type = 'forged'"), /events is append-only/);
    await assert.rejects(rowsIn(schema, "UPDATE audit SET actor = 'forged'"), /audit is append-only/);
  });

  test("two stores creating a token of the same name at once: one gets it, the other the typed error", async (t) => {
    const { store, schema } = await freshStore(t);
    const other = await sibling(t, schema);
    const results = await Promise.allSettled([store.createToken(aToken("t1", { name: "ci" })), other.createToken(aToken("t2", { name: "ci" }))]);
    assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
    const [refused] = results.filter((result) => result.status === "rejected");
    assert.equal((refused as PromiseRejectedResult).reason.name, "TokenNameTakenError");
  });

  test("a reader following events by seq skips none while two stores append 200 each, eight at a time", async (t) => {
    const { store: first, schema } = await freshStore(t);
    const second = await sibling(t, schema);
    const reader = await sibling(t, schema);
    await first.createRun(aRun("a"), runCreated(aRun("a")));
    await second.createRun(aRun("b"), runCreated(aRun("b")));
    const start = (await reader.listEventsSince(0, 10)).at(-1)!.seq;
    let done = false;
    const writers = Promise.all(
      [first, second].flatMap((store, n) =>
        Array.from({ length: 8 }, async (_, lane) => {
          for (let i = lane; i < 200; i += 8) {
            // Some writes carry several events, so that appends of different sizes interleave.
            const changes = [taskChange(n === 0 ? "a" : "b", `t${i}`, "task.started")];
            if (i % 5 === 0) changes.push({ event: anEvent(n === 0 ? "a" : "b", "run.note") });
            await store.write(changes);
          }
        }),
      ),
    ).finally(() => (done = true));
    const seen: number[] = [];
    let after = start;
    for (let last = false; !last; ) {
      last = done;
      const page = await reader.listEventsSince(after, 13);
      seen.push(...page.map((event) => event.seq));
      after = page.at(-1)?.seq ?? after;
      if (page.length === 13) last = false;
    }
    await writers;
    const all = (await reader.listEventsSince(start, 10_000)).map((event) => event.seq);
    assert.equal(all.length, 2 * (200 + 40));
    assert.deepEqual(seen, all, "the follower saw every event, in order");
    assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => start + 1 + i), "seqs without gaps");
  });

  test("audit entries appended by two stores at once: a reader paging by seq sees them in order", async (t) => {
    const { store: first, schema } = await freshStore(t);
    const second = await sibling(t, schema);
    const appended = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? first : second).appendAudit(anAudit(`a${i}`))));
    const seqs = appended.map((entry) => entry.seq).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => seqs[0]! + i));
    assert.deepEqual((await first.listAudit({ limit: 100 })).map((entry) => entry.seq), [...seqs].reverse());
  });

  test("two stores claiming the same slots of several triggers, in opposite orders: each slot is claimed exactly once", async (t) => {
    const { store: first, schema } = await freshStore(t, { poolSize: 4 });
    const second = await sibling(t, schema, { poolSize: 4 });
    const triggers = ["a", "b", "c"];
    for (const name of triggers) await first.ensureSchedule("ns", name, "0:every", 0);
    const claimsOf = (engine: string, slot: number): SlotClaim[] =>
      triggers.map((name) => {
        const run = aRun(`${engine}-${name}-${slot}`, { namespace: "ns", pipeline: name });
        return { namespace: "ns", pipeline: name, trigger_key: "0:every", runs: [{ slot, run, event: runCreated(run) }] };
      });
    for (let slot = 1_000; slot <= 20_000; slot += 1_000) {
      const [mine, theirs] = await Promise.all([first.claimSlots(claimsOf("x", slot), slot + 1), second.claimSlots(claimsOf("y", slot).reverse(), slot + 1)]);
      const won = triggers.map((_, i) => Number(mine[i]!.claimed) + Number(theirs[triggers.length - 1 - i]!.claimed));
      assert.deepEqual(won, [1, 1, 1], `slot ${slot}`);
    }
    for (const name of triggers) assert.equal(await first.countRuns({ namespace: "ns", pipeline: name, states: ["queued"] }), 20);
    assert.deepEqual((await first.listSchedules("ns")).map((row) => row.last_slot), [20_000, 20_000, 20_000]);
  });

  test("a follower's run for one finished run is made once, even by two stores at once, and settling forgets the pending run, not the claim", async (t) => {
    const { store: first, schema } = await freshStore(t);
    const second = await sibling(t, schema);
    await first.createRun(aRun("src", { state: "running" }), runCreated(aRun("src")));
    await first.write([{ event: anEvent("src", "run.finished"), run: { id: "src", state: "succeeded", finished_at: 20_000 }, awaitsFollowers: true }]);
    assert.deepEqual((await second.listPendingFollowers()).map((run) => run.id), ["src"]);
    const claim = { source_run: "src", namespace: "home", pipeline: "report", trigger_key: "0:after" };
    const follower = (id: string) => aRun(id, { pipeline: "report", trigger: { kind: "after" } });
    const made = await Promise.all([first.createFollowerRun(claim, follower("f1"), runCreated(follower("f1"))), second.createFollowerRun(claim, follower("f2"), runCreated(follower("f2")))]);
    assert.equal(made.filter((event) => event !== undefined).length, 1);
    assert.equal(await first.countRuns({ pipeline: "report", states: ["queued"] }), 1);
    await second.settleFollowers("src");
    assert.deepEqual(await first.listPendingFollowers(), []);
    assert.equal(await first.createFollowerRun(claim, follower("f3"), runCreated(follower("f3"))), undefined, "an engine that read src as pending before the settle makes nothing");
  });

  test("the trigger's kind, kept in a column of its own, follows a patch of the trigger, and a \\u0000 in the trigger does not trouble it", async (t) => {
    const { store } = await freshStore(t);
    const run = aRun("r1", { trigger: { kind: "manual", note: "nul \u0000" } });
    await store.createRun(run, runCreated(run));
    const kinds = async (kind: string) => (await store.listRuns({ limit: 10, triggerKinds: [kind] })).map((row) => row.id);
    assert.deepEqual(await kinds("manual"), ["r1"]);
    await store.write([{ event: anEvent("r1", "run.note"), run: { id: "r1", trigger: { kind: "retry", note: "nul \u0000" } } }]);
    assert.deepEqual([await kinds("manual"), await kinds("retry")], [[], ["r1"]]);
    assert.deepEqual((await store.listRunHistory({ namespace: "home", pipeline: "backup", limit: 10 })).runs.map((row) => row.trigger_kind), ["retry"]);
  });

  test("a write the database refuses halfway leaves the counter as it was: the next event takes the next seq", async (t) => {
    const { store } = await freshStore(t);
    const created = await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    await assert.rejects(store.write([taskChange("r1", "a", "task.started"), { event: anEvent("ghost", "x") }]));
    const [next] = await store.write([{ event: anEvent("r1", "after") }]);
    assert.equal(next!.seq, created.seq + 1);
    assert.deepEqual(((await store.listEvents("r1", 0, 10)) as EventRow[]).map((event) => event.type), ["run.created", "after"]);
  });

  test("engines sharing a schema each take up only their own unfinished runs (and runs of no engine)", async (t) => {
    const { store: a, schema } = await freshStore(t, { owner: "engine-a" });
    const b = await sibling(t, schema, { owner: "engine-b" });
    const nobody = await sibling(t, schema);
    await a.createRun(aRun("ra"), runCreated(aRun("ra")));
    await b.createRun(aRun("rb", { state: "running" }), runCreated(aRun("rb")));
    await nobody.createRun(aRun("rn"), runCreated(aRun("rn")));
    const ids = async (store: Store) => (await store.listRunsInStates(["queued", "running"])).map((run) => run.id).sort();
    assert.deepEqual(await ids(a), ["ra", "rn"]);
    assert.deepEqual(await ids(b), ["rb", "rn"]);
    assert.deepEqual(await ids(nobody), ["rn"]);
    // Everything else sees every run.
    assert.deepEqual((await a.listRuns({ limit: 10 })).map((run) => run.id).sort(), ["ra", "rb", "rn"]);
  });
});
