/**
 * A pipeline's concurrency and queue, and named locks, hold across the
 * engines sharing one PostgreSQL (SPEC §2, §7): two `spire engine` processes
 * on one real database, runs asked for through both at the same moment. Never
 * more run at once than the pipeline or the lock allows (from the runs' own
 * stored start and end times), a run waiting on one engine starts as soon as
 * the run on the other ends, the queue's places are counted over both, and a
 * run held by an engine that froze gives its place back once it is taken over.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { engineIdOf, engineStarter, leaderAmong } from "./shared-store.js";
import { PLACES_POLL_MS } from "../../src/engine/runs/cluster-queues.js";

checkNoLeftoverProcesses();

interface StoredRun {
  id: string;
  pipeline: string;
  state: string;
  owner: string;
  reason: string | null;
  started_at: number | null;
  finished_at: number | null;
}

/** Engines a and b on a new schema, both with the definitions `yaml` makes (given the test's folder); what they said, for a failure to explain itself. */
async function twoEngines(t: TestContext, yaml: (dir: string) => string, extra: string[] = []) {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-queues-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, yaml(dir));
  const { start, said } = engineStarter(t, { dir, schema, file, extra });
  const a = await start("a");
  const b = await start("b");
  const runs = async (pipelines: string[]) =>
    (await rowsIn(schema, "SELECT id, pipeline, state, owner, reason, started_at, finished_at FROM runs WHERE pipeline = ANY($1) ORDER BY started_at NULLS LAST, id", [pipelines])) as unknown as StoredRun[];
  const ended = (pipelines: string[], count: number, withinMs = 30_000) =>
    until(async () => (await runs(pipelines)).filter((run) => !["queued", "running"].includes(run.state)).length === count, `${count} runs of ${pipelines.join(", ")} to end\n${said()}`, withinMs);
  return { schema, dir, a, b, said, runs, ended };
}

/** POST /pipelines/{pipeline}/runs: the status and the body. */
async function startThrough(engine: RunningEngine, pipeline: string, args: Record<string, string> = {}): Promise<{ status: number; body: { id?: string; error?: { code: string; message: string } } }> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const response = await fetch(`${engine.url}/api/v1/pipelines/${pipeline}/runs`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ args }) });
  return { status: response.status, body: (await response.json()) as { id?: string; error?: { code: string; message: string } } };
}

/** Runs that ran one after the other: each started once the one before had ended (stored times, one machine's clock). */
function assertOneAtATime(ran: StoredRun[]): void {
  const sorted = [...ran].sort((x, y) => x.started_at! - y.started_at!);
  for (let index = 1; index < sorted.length; index++) {
    const before = sorted[index - 1]!;
    const after = sorted[index]!;
    assert.ok(after.started_at! >= before.finished_at!, `${after.id} (${after.pipeline}) started at ${after.started_at}, before ${before.id} (${before.pipeline}) ended at ${before.finished_at}`);
  }
}

test("concurrency 1 over two engines: runs asked for through both at once run one at a time, and one waiting on an engine starts as soon as the other's run ends", async (t) => {
  const { dir, a, b, runs, ended, said } = await twoEngines(
    t,
    (dir) => `namespace: q
pipelines:
  one:
    queue: { limit: 20 }
    env: { GATE: ${JSON.stringify(join(dir, "gate"))} }
    tasks:
      work: { run: 'while [ ! -e "$GATE" ]; do sleep 0.05; done; sleep 0.2' }
`,
  );
  writeFileSync(join(dir, "gate"), "");
  // Eight runs asked for at the same moment, half through each engine.
  const made = await Promise.all([a, b, a, b, a, b, a, b].map((engine) => startThrough(engine, "q/one")));
  assert.deepEqual(made.map((answer) => answer.status), Array(8).fill(201), JSON.stringify(made.map((answer) => answer.body)));
  await ended(["one"], 8, 60_000);
  const burst = await runs(["one"]);
  assert.deepEqual(burst.map((run) => run.state), Array(8).fill("succeeded"), said());
  assertOneAtATime(burst);
  assert.deepEqual(new Set(burst.map((run) => run.owner)), new Set([engineIdOf(a), engineIdOf(b)]), "each engine ran the runs asked for through it");

  // Six more, through a and b in turn while the first waits at the gate: each next run waits on the other engine.
  rmSync(join(dir, "gate"));
  const turns = [a, b, a, b, a, b];
  const ids: string[] = [];
  for (const engine of turns) ids.push((await startThrough(engine, "q/one")).body.id!);
  writeFileSync(join(dir, "gate"), "");
  await ended(["one"], 14, 60_000);
  const ran = (await runs(["one"])).filter((run) => ids.includes(run.id));
  assert.deepEqual(ran.map((run) => run.id), ids, "they ran in the order they were asked for");
  assertOneAtATime(ran);
  // The engine of the next run heard of each end at once (NOTIFY), without waiting for its next look at the store.
  const gaps = ran.slice(1).map((run, index) => run.started_at! - ran[index]!.finished_at!);
  assert.ok(Math.max(...gaps) < PLACES_POLL_MS / 2, `from one engine's end to the other's start: ${gaps.join(", ")} ms`);
  await Promise.all([stopEngine(a), stopEngine(b)]);
});

test("a run asked for with room is made and started in one transaction; one made from a definition the store no longer has is made again from the store's", async (t) => {
  const { schema, a, b, runs, ended, said } = await twoEngines(
    t,
    () => `namespace: q
pipelines:
  quick:
    tasks:
      say: { exec: [echo, v1] }
`,
  );
  const first = await startThrough(a, "q/quick");
  assert.equal(first.status, 201, JSON.stringify(first.body));
  await ended(["quick"], 1);
  // Events are never rewritten: the transaction that wrote each is still on its row.
  const made = await rowsIn(schema, "SELECT type, xmin::text AS tx FROM events WHERE run_id = $1 AND type IN ('run.created', 'run.started', 'task.started') ORDER BY seq", [first.body.id]);
  assert.deepEqual(made.map((event) => event.type), ["run.created", "run.started", "task.started"]);
  assert.equal(new Set(made.map((event) => event.tx)).size, 1, `one transaction: ${JSON.stringify(made)}`);

  // Changed in the store behind both engines' backs (no NOTIFY): the run is made from the store's definition, once.
  await rowsIn(schema, "UPDATE pipelines SET definition = replace(definition, 'v1', 'v2'), digest = 'changed-behind' WHERE name = 'quick'");
  const second = await startThrough(a, "q/quick");
  assert.equal(second.status, 201, JSON.stringify(second.body));
  await ended(["quick"], 2);
  const both = await runs(["quick"]);
  assert.deepEqual(both.map((run) => run.state), ["succeeded", "succeeded"], said());
  const [stored] = await rowsIn(schema, "SELECT definition FROM runs WHERE id = $1", [second.body.id]);
  assert.match(String(stored!.definition), /v2/);
  assert.deepEqual(await rowsIn(schema, "SELECT count(*)::int AS n FROM events WHERE type = 'run.created'"), [{ n: 2 }], "no other run was made");
  await Promise.all([stopEngine(a), stopEngine(b)]);
});

test("a named lock of capacity 1 taken by two pipelines started through two engines is never held twice", async (t) => {
  const { a, b, runs, ended, said } = await twoEngines(
    t,
    () => `namespace: q
locks: { db: 1 }
pipelines:
  backup:
    concurrency: 5
    locks: [db]
    tasks:
      dump: { run: 'sleep 0.2' }
  migrate:
    concurrency: 5
    locks: [db]
    tasks:
      apply: { run: 'sleep 0.2' }
`,
  );
  const made = await Promise.all([
    ...[a, b, a].map((engine) => startThrough(engine, "q/backup")),
    ...[b, a, b].map((engine) => startThrough(engine, "q/migrate")),
  ]);
  assert.deepEqual(made.map((answer) => answer.status), Array(6).fill(201), JSON.stringify(made.map((answer) => answer.body)));
  await ended(["backup", "migrate"], 6, 60_000);
  const ran = await runs(["backup", "migrate"]);
  assert.deepEqual(ran.map((run) => run.state), Array(6).fill("succeeded"), said());
  assertOneAtATime(ran);
  await Promise.all([stopEngine(a), stopEngine(b)]);
});

test("the queue's places are counted over both engines: append refuses, replace skips the run waiting on the other engine, preempt cancels the run running there", async (t) => {
  const { dir, a, b, runs, ended, said } = await twoEngines(
    t,
    (dir) => `namespace: q
pipelines:
  deploy:
    queue: { limit: 1 }
    env: &gate { GATE: ${JSON.stringify(join(dir, "gate"))} }
    tasks:
      ship: { run: 'while [ ! -e "$GATE" ]; do sleep 0.05; done' }
  sync:
    queue: { limit: 1, strategy: replace }
    env: *gate
    tasks:
      copy: { run: 'while [ ! -e "$GATE" ]; do sleep 0.05; done' }
  render:
    queue: { limit: 0, strategy: preempt }
    env: *gate
    tasks:
      draw: { run: 'while [ ! -e "$GATE" ]; do sleep 0.05; done' }
`,
  );
  const gate = join(dir, "gate");
  const stateOf = async (id: string) => (await runs(["deploy", "sync", "render"])).find((run) => run.id === id);

  // append: one runs (through a), one waits (through b), the third (through a) finds the queue full.
  const running = (await startThrough(a, "q/deploy")).body.id!;
  await until(async () => (await stateOf(running))?.state === "running", "the first deploy to run");
  const waiting = await startThrough(b, "q/deploy");
  assert.equal(waiting.status, 201);
  const refused = await startThrough(a, "q/deploy");
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.equal(refused.body.error?.code, "queue_full");
  assert.match(refused.body.error?.message ?? "", /the queue is full: 1 of 1 places taken \(strategy append\)/);

  // replace: the run waiting on b gives its place to the newer one made through a, and b skips it.
  const syncing = (await startThrough(b, "q/sync")).body.id!;
  await until(async () => (await stateOf(syncing))?.state === "running", "the first sync to run");
  const replacedOnA = (await startThrough(a, "q/sync")).body.id!;
  const newest = (await startThrough(b, "q/sync")).body.id!;
  await until(async () => (await stateOf(replacedOnA))?.state === "skipped", `the sync waiting on a to be skipped\n${said()}`, PLACES_POLL_MS / 2);
  assert.equal((await stateOf(replacedOnA))?.reason, `replaced by the newer run ${newest}`);

  // preempt: the newer render, made through b, cancels the one running on a, and runs once it has ended.
  const first = (await startThrough(a, "q/render")).body.id!;
  await until(async () => (await stateOf(first))?.state === "running", "the first render to run");
  const second = (await startThrough(b, "q/render")).body.id!;
  await until(async () => (await stateOf(first))?.state === "canceled", `the render on a to be preempted\n${said()}`);
  assert.equal((await stateOf(first))?.reason, `preempted by the newer run ${second}`);
  await until(async () => (await stateOf(second))?.state === "running", "the newer render to run");

  writeFileSync(gate, "");
  await ended(["deploy", "sync", "render"], 8);
  const all = await runs(["deploy", "sync", "render"]);
  const states = (pipeline: string) => all.filter((run) => run.pipeline === pipeline).map((run) => run.state).sort();
  assert.deepEqual(states("deploy"), ["skipped", "succeeded", "succeeded"]);
  assert.deepEqual(states("sync"), ["skipped", "succeeded", "succeeded"]);
  assert.deepEqual(states("render"), ["canceled", "succeeded"]);
  for (const pipeline of ["deploy", "sync", "render"]) assertOneAtATime(all.filter((run) => run.pipeline === pipeline && run.started_at !== null));
  await Promise.all([stopEngine(a), stopEngine(b)]);
});

test("a run held by an engine that froze keeps its place only until the leader takes it over: the run waiting on the leader then starts", async (t) => {
  const { a, b, runs, said } = await twoEngines(
    t,
    (dir) => `namespace: q
pipelines:
  one:
    env: { FIRST_DONE: ${JSON.stringify(join(dir, "first-done"))} }
    tasks:
      work: { run: 'if [ -e "$FIRST_DONE" ]; then exit 0; fi; touch "$FIRST_DONE"; sleep 60' }
`,
    ["--leader-lease", "2s", "--rescue-after", "3s"],
  );
  const { engine: leader } = await leaderAmong([a, b]);
  const frozen = leader === a ? b : a;
  const held = (await startThrough(frozen, "q/one")).body.id!;
  await until(async () => (await runs(["one"])).find((run) => run.id === held)?.state === "running", "the first run to run");
  const waits = (await startThrough(leader, "q/one")).body.id!;
  assert.equal((await runs(["one"])).find((run) => run.id === waits)?.state, "queued");

  frozen.child.kill("SIGSTOP");
  let woken = false;
  t.after(() => {
    if (!woken) frozen.child.kill("SIGCONT");
  });
  await until(async () => (await runs(["one"])).find((run) => run.id === waits)?.state === "succeeded", `the waiting run to run once the frozen engine's is taken over\n${said()}`, 20_000);
  const ran = await runs(["one"]);
  assert.equal(ran.find((run) => run.id === held)?.state, "interrupted", said());
  assertOneAtATime(ran);
  frozen.child.kill("SIGCONT");
  woken = true;
  await Promise.all([stopEngine(a), stopEngine(b)]);
});
