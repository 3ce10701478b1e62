/**
 * Heartbeats, take-overs and fencing on a real PostgreSQL: the leader takes
 * the unfinished runs of a silent engine (and only those), the slow engine
 * learns of it at its next heartbeat, its late writes are refused, and a
 * run its owner is writing at that moment is passed over until the write is done.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { PostgresEngineRoster } from "../../src/cluster/engine-roster.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { RunTakenOverError } from "../../src/store/errors.js";
import type { Store } from "../../src/store/port.js";
import { POSTGRES_URL, freshSchema } from "../helpers/postgres.js";
import { aRun, runCreated, taskChange } from "../store/fixtures.js";

interface Member {
  id: string;
  store: Store;
  roster: PostgresEngineRoster;
  problems: string[];
}

async function cluster(t: TestContext) {
  const schema = await freshSchema(t);
  const pools: pg.Pool[] = [];
  const members: Member[] = [];
  const pool = (max: number) => {
    const made = new pg.Pool({ connectionString: POSTGRES_URL, max, options: `-c search_path=${schema}` });
    made.on("error", () => {});
    pools.push(made);
    return made;
  };
  t.after(async () => {
    await Promise.all(members.map((member) => member.roster.stop()));
    await Promise.all(members.map((member) => member.store.close()));
    await Promise.all(pools.map((made) => made.end()));
  });
  const admin = pool(2);
  return {
    admin,
    schema,
    async member(id: string, rescueAfterMs = 3000): Promise<Member> {
      const store = openPostgresStore(POSTGRES_URL, { schema, owner: id });
      await store.init();
      const problems: string[] = [];
      const roster = new PostgresEngineRoster({ pool: pool(1), engineId: id, rescueAfterMs, onProblem: (message) => problems.push(message) });
      await roster.register();
      const member = { id, store, roster, problems };
      members.push(member);
      return member;
    },
    /** As if `id` last beat `secondsAgo` seconds ago (by the database's clock). */
    async silence(id: string, secondsAgo: number) {
      await admin.query("UPDATE engines SET heartbeat_at = now() - make_interval(secs => $2) WHERE id = $1", [id, secondsAgo]);
    },
    async owner(runId: string) {
      return (await admin.query<{ owner: string | null }>("SELECT owner FROM runs WHERE id = $1", [runId])).rows[0]?.owner;
    },
  };
}

async function runOf(member: Member, id: string, state: "queued" | "running" | "succeeded") {
  const run = aRun(id, { state });
  await member.store.createRun(run, runCreated(run));
  return run;
}

test("the leader takes over the unfinished runs of a silent engine, and only those", async (t) => {
  const c = await cluster(t);
  const a = await c.member("engine-a");
  const b = await c.member("engine-b");
  await runOf(a, "run-a-running", "running");
  await runOf(a, "run-a-queued", "queued");
  await runOf(a, "run-a-done", "succeeded");
  await runOf(b, "run-b-running", "running");

  assert.deepEqual(await b.roster.takeOverSilent(), { runIds: [], from: [] }, "a beating engine keeps its runs");
  await c.silence("engine-a", 2);
  assert.deepEqual((await b.roster.takeOverSilent()).runIds, [], "silent for less than the rescue time: not yet");
  await c.silence("engine-a", 10);
  const taken = await b.roster.takeOverSilent();
  assert.deepEqual(taken.runIds.sort(), ["run-a-queued", "run-a-running"]);
  assert.deepEqual(taken.from, ["engine-a"]);
  assert.equal(await c.owner("run-a-running"), "engine-b");
  assert.equal(await c.owner("run-a-done"), "engine-a", "a finished run is history: nobody takes it");
  assert.equal(await c.owner("run-b-running"), "engine-b");
  assert.deepEqual((await b.roster.takeOverSilent()).runIds, [], "taken once");
  assert.deepEqual([...(await a.roster.notOwned(["run-a-running", "run-a-done"]))], [["run-a-running", "engine-b"]]);
});

test("an engine that beats more slowly is given three of its own beats, whatever the leader's rescue time", async (t) => {
  const c = await cluster(t);
  await c.member("slow-beater", 60_000);
  const leader = await c.member("leader", 3000);
  await runOf(leader, "slow-run", "running");
  await c.admin.query("UPDATE runs SET owner = 'slow-beater' WHERE id = 'slow-run'");
  await c.silence("slow-beater", 20);
  assert.deepEqual((await leader.roster.takeOverSilent()).runIds, [], "20 s is two of its 10 s beats");
  await c.silence("slow-beater", 31);
  assert.deepEqual((await leader.roster.takeOverSilent()).runIds, ["slow-run"]);
});

test("the slow engine hears of the take-over at its next heartbeat, and its late writes are refused", async (t) => {
  const c = await cluster(t);
  const a = await c.member("engine-a", 3000);
  const b = await c.member("engine-b", 3000);
  await runOf(a, "late", "running");
  let told = 0;
  const heard = new Promise<void>((resolve) => a.roster.start(() => (told++, resolve()), () => assert.fail("its heartbeats are recorded: it is in touch")));
  await c.silence("engine-a", 10);
  assert.deepEqual((await b.roster.takeOverSilent()).runIds, ["late"]);
  await heard;
  assert.equal(told, 1);

  await assert.rejects(a.store.write([taskChange("late", "t", "task.finished", { state: "succeeded" })]), (error: unknown) => {
    assert.ok(error instanceof RunTakenOverError, String(error));
    assert.equal(error.runId, "late");
    assert.equal(error.owner, "engine-b");
    return true;
  });
  const stored = await b.store.getRun("late");
  assert.deepEqual(stored?.tasks, [], "nothing of the refused write was kept");
  await b.store.write([taskChange("late", "t", "task.finished", { state: "failed" })]);
  assert.equal((await b.store.getRun("late"))?.tasks[0]?.state, "failed", "the new owner writes");
  assert.deepEqual(a.problems, []);
});

test("a run its owner is writing is passed over until the write is done; the write then counts and the take-over follows", async (t) => {
  const c = await cluster(t);
  const a = await c.member("engine-a", 3000);
  const b = await c.member("engine-b", 3000);
  await runOf(a, "busy", "running");
  await runOf(a, "idle", "running");
  await c.silence("engine-a", 10);
  // Engine a's write, caught between its statements: the fencing trigger holds the run FOR SHARE until COMMIT.
  const writer = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${c.schema} -c spire.owner=engine-a` });
  await writer.connect();
  t.after(() => writer.end());
  await writer.query("BEGIN");
  await writer.query("INSERT INTO events (seq, run_id, ts, type, data) VALUES (1000000, 'busy', 1, 'task.finished', '{}')");

  assert.deepEqual((await b.roster.takeOverSilent()).runIds, ["idle"], "the run being written is skipped, not waited for");
  await writer.query("COMMIT");
  assert.deepEqual((await b.roster.takeOverSilent()).runIds, ["busy"]);
  const events = (await b.store.listEvents("busy", 0, 10)).map((event) => event.type);
  assert.ok(events.includes("task.finished"), "the write that came first is there for the new owner to read");
});

test("a late write that meets a take-over under way waits for it, and is then refused", async (t) => {
  const c = await cluster(t);
  const a = await c.member("engine-a", 3000);
  await c.member("engine-b", 3000);
  await runOf(a, "contested", "running");
  // Released by the test itself: the pool it comes from ends in an earlier after hook, which would wait for it.
  const rescuer = await c.admin.connect();
  try {
    await contest(a, rescuer);
  } finally {
    rescuer.release();
  }
});

async function contest(a: Member, rescuer: pg.PoolClient) {
  await rescuer.query("BEGIN");
  await rescuer.query("UPDATE runs SET owner = 'engine-b' WHERE id = 'contested'");
  let settled = false;
  const late = a.store.write([taskChange("contested", "t", "task.finished", { state: "succeeded" })]).finally(() => (settled = true));
  late.catch(() => {});
  // Long enough for the write to reach the locked row: it must still be waiting.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(settled, false, "the late write waits for the take-over to commit or roll back");
  await rescuer.query("COMMIT");
  await assert.rejects(late, RunTakenOverError);
  assert.deepEqual((await a.store.getRun("contested"))?.tasks, []);
}

test("heartbeats that fail for most of the rescue time tell the engine it lost touch, once, until one is recorded again", async (t) => {
  const c = await cluster(t);
  const a = await c.member("engine-a", 3000);
  assert.equal(a.roster.heartbeatEveryMs, 500);
  assert.equal(a.roster.lostTouchAfterMs, 2000);
  const lost: number[] = [];
  let onLost!: () => void;
  const heardLost = new Promise<void>((resolve) => (onLost = resolve));
  const started = performance.now();
  a.roster.start(
    () => assert.fail("nothing was taken over"),
    (silentForMs) => {
      lost.push(silentForMs);
      onLost();
    },
  );
  // Its heartbeats now fail (the table is away), as they would with the database out of reach.
  await c.admin.query("ALTER TABLE engines RENAME TO engines_away");
  await heardLost;
  const after = performance.now() - started;
  assert.ok(lost[0]! >= 2000 && after < 4000, `told after ${Math.round(after)} ms, silent for ${Math.round(lost[0]!)} ms`);
  assert.match(a.problems.join("\n"), /heartbeat could not be recorded/);
  await c.admin.query("ALTER TABLE engines_away RENAME TO engines");
  const recorded = async () => (await c.admin.query<{ fresh: boolean }>("SELECT heartbeat_at > now() - interval '400 milliseconds' AS fresh FROM engines WHERE id = 'engine-a'")).rows[0]?.fresh === true;
  while (!(await recorded())) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(lost.length, 1, "said once while out of touch");
});
