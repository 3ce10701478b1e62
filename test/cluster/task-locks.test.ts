/**
 * A task's own `locks:` hold across the engines sharing one PostgreSQL
 * (SPEC §2 `locks`): two `spire engine` processes on one real database,
 * runs asked for through both at once. Each task that holds the lock
 * writes the time it started and ended to a file; no two of those
 * intervals overlap, whether the lock was a task's or a whole run's, and a
 * task waiting on one engine starts as soon as the other's gives the lock
 * back (NOTIFY, not the two-second look). And a task holding the lock on an
 * engine killed with -9 gives it back once the leader takes the run over.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { engineIdOf, engineStarter, leaderAmong } from "./shared-store.js";
import { PLACES_POLL_MS } from "../../src/engine/runs/cluster-queues.js";

checkNoLeftoverProcesses();

/** A task that holds the lock: it notes "<start ms> <end ms> <run id>" once it is done (one short append, whole). */
const HOLD = `start=$(date +%s%3N); sleep 0.25; echo "$start $(date +%s%3N) $SPIRE_RUN_ID" >> "$MARKS"`;

interface Held {
  start: number;
  end: number;
  run: string;
}

/** Engines a and b on a new schema with the definitions `yaml` makes (given the test's folder and the marks file). */
async function twoEngines(t: TestContext, yaml: (dir: string, marks: string) => string, extra: string[] = []) {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-task-locks-");
  const marks = join(dir, "marks");
  writeFileSync(marks, "");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, yaml(dir, marks));
  const { start, said } = engineStarter(t, { dir, schema, file, extra });
  const a = await start("a");
  const b = await start("b");
  const runs = async () => (await rowsIn(schema, "SELECT id, pipeline, state, owner FROM runs ORDER BY created_at, id")) as { id: string; pipeline: string; state: string; owner: string }[];
  const held = (): Held[] =>
    readFileSync(marks, "utf8")
      .trim()
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [start, end, run] = line.split(" ");
        return { start: Number(start), end: Number(end), run: run! };
      });
  return { schema, dir, a, b, start, said, runs, held };
}

async function startThrough(engine: RunningEngine, pipeline: string): Promise<string> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const response = await fetch(`${engine.url}/api/v1/pipelines/${pipeline}/runs`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
  const body = (await response.json()) as { id?: string };
  assert.equal(response.status, 201, JSON.stringify(body));
  return body.id!;
}

/** No two holders at once (capacity 1): each started once the one before had ended. */
function assertOneAtATime(held: Held[]): void {
  const sorted = [...held].sort((x, y) => x.start - y.start);
  for (let index = 1; index < sorted.length; index++) {
    const before = sorted[index - 1]!;
    const after = sorted[index]!;
    assert.ok(after.start >= before.end, `${after.run} took the lock at ${after.start}, while ${before.run} held it (to ${before.end})`);
  }
}

test("a task's lock of capacity 1, taken by tasks of runs started through two engines at once, is never held twice, nor beside a whole run that holds it", async (t) => {
  const { schema, a, b, said, runs, held } = await twoEngines(
    t,
    (_dir, marks) => `namespace: q
locks: { db: 1 }
pipelines:
  dump:
    concurrency: 10
    env: { MARKS: ${JSON.stringify(marks)} }
    tasks:
      before: { run: 'true' }
      hold: { run: '${HOLD}', locks: [db], depends_on: [before] }
  migrate:
    concurrency: 10
    locks: [db]
    env: { MARKS: ${JSON.stringify(marks)} }
    tasks:
      apply: { run: '${HOLD}' }
`,
  );
  const engines = [a, b, a, b, a, b, a, b];
  const ids = await Promise.all([...engines.map((engine) => startThrough(engine, "q/dump")), startThrough(a, "q/migrate"), startThrough(b, "q/migrate")]);
  await until(async () => (await runs()).every((run) => !["queued", "running"].includes(run.state)), `the runs to end\n${said()}`, 60_000);
  const ended = await runs();
  assert.deepEqual(ended.map((run) => run.state), Array(ids.length).fill("succeeded"), said());
  assert.deepEqual(new Set(ended.map((run) => run.owner)), new Set([engineIdOf(a), engineIdOf(b)]), "each engine ran the runs asked for through it");
  const intervals = held();
  assert.deepEqual(intervals.map((interval) => interval.run).sort(), [...ids].sort(), "each run's task held the lock once");
  assertOneAtATime(intervals);
  // Each engine heard of the lock given back on the other at once (NOTIFY), without waiting for its next look at the store.
  const sorted = [...intervals].sort((x, y) => x.start - y.start);
  const gaps = sorted.slice(1).map((interval, index) => interval.start - sorted[index]!.end);
  t.diagnostic(`from one holder's end to the next one's start: ${gaps.join(", ")} ms`);
  assert.ok(Math.max(...gaps) < PLACES_POLL_MS / 2, `from one holder's end to the next one's start: ${gaps.join(", ")} ms`);
  assert.deepEqual(await rowsIn(schema, "SELECT * FROM task_lock_holds"), [], "no units are left held");
  await Promise.all([stopEngine(a), stopEngine(b)]);
});

test("a task holding a lock on an engine killed with -9 gives it back once the leader takes its run over: the task waiting for it there runs", async (t) => {
  const { schema, dir, a, b, start, said, runs } = await twoEngines(
    t,
    (dir) => `namespace: q
pipelines:
  hold:
    env: { GATE: ${JSON.stringify(join(dir, "gate"))} }
    tasks:
      work: { run: 'while [ ! -e "$GATE" ]; do sleep 0.05; done', locks: [db] }
  next:
    tasks:
      work: { run: 'true', locks: [db] }
`,
    ["--leader-lease", "2s", "--rescue-after", "3s"],
  );
  const { engine: leader } = await leaderAmong([a, b]);
  const doomed = leader === a ? b : a;
  const holding = await startThrough(doomed, "q/hold");
  const holds = () => rowsIn(schema, "SELECT run_id, task FROM task_lock_holds");
  await until(async () => (await holds()).some((row) => row.run_id === holding), `the doomed engine's task to hold the lock\n${said()}`, 15_000);
  const waiting = await startThrough(leader, "q/next");
  await until(async () => (await runs()).find((run) => run.id === waiting)?.state === "running", "the waiting run to start");
  assert.deepEqual(await holds(), [{ run_id: holding, task: "work" }], "only the doomed engine's task holds the lock");
  // Any engine shows who holds the lock, whichever engine runs the holder.
  const token = readFileSync(join(leader.data, "token"), "utf8").trim();
  const info = (await (await fetch(`${leader.url}/api/v1/engine`, { headers: { authorization: `Bearer ${token}` } })).json()) as { locks: { name: string; held: number; holders: unknown[] }[] };
  assert.deepEqual(info.locks.find((lock) => lock.name === "db"), { name: "db", capacity: 1, declared: {}, held: 1, holders: [{ run_id: holding, task: "work", count: 1 }] });
  // Whoever follows the waiting run is told why its task has not started.
  const waitEvents = async () => (await rowsIn(schema, `SELECT task_path, attempt, data FROM events WHERE run_id = '${waiting}' AND type = 'task.waiting'`)) as { task_path: string; attempt: number; data: string }[];
  await until(async () => (await waitEvents()).length > 0, `the waiting task to say it waits\n${said()}`);
  assert.deepEqual(
    (await waitEvents()).map((row) => ({ task: row.task_path, attempt: Number(row.attempt), reason: (JSON.parse(row.data) as { reason: string }).reason })),
    [{ task: "work", attempt: 1, reason: "waiting for its locks (db): held by runs of other engines" }],
  );

  doomed.child.kill("SIGKILL");
  await doomed.exit;
  await until(async () => (await runs()).find((run) => run.id === waiting)?.state === "succeeded", `the waiting task to run once the killed engine's run is taken over\n${said()}`, 20_000);
  const ended = await runs();
  assert.equal(ended.find((run) => run.id === holding)?.state, "interrupted", said());
  assert.equal(ended.find((run) => run.id === holding)?.owner, engineIdOf(leader), "the leader took the run over");
  assert.deepEqual(await holds(), [], "no units are left held");
  const attempts = (await rowsIn(schema, "SELECT run_id, state, started_at, finished_at FROM task_runs")) as { run_id: string; state: string; started_at: string; finished_at: string }[];
  const lost = attempts.find((row) => row.run_id === holding)!;
  const next = attempts.find((row) => row.run_id === waiting)!;
  assert.equal(lost.state, "interrupted");
  assert.ok(Number(next.started_at) >= Number(lost.finished_at), `the waiting task started at ${next.started_at}, before the killed engine's attempt was recorded ended (${lost.finished_at})`);

  // The killed engine, back on its data folder, stops the task its supervisor still ran (no run of its own claims it).
  const back = await start(doomed === a ? "a" : "b");
  writeFileSync(join(dir, "gate"), "");
  await Promise.all([stopEngine(leader), stopEngine(back)]);
});
