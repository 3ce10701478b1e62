/**
 * `after` triggers are durable: an engine killed (SIGKILL) after a run
 * finished but before its followers' runs were made leaves that on record,
 * and the next engine makes the missing ones, each exactly once, however
 * often it is killed meanwhile.
 *
 * The hook: a follower whose env file is a FIFO. Making its run reads the
 * file, which blocks until someone writes; the test sees that the engine got
 * there (a non-blocking open for writing succeeds only with a reader), holds
 * the write end open (so the read goes on blocking), and kills the engine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, constants, openSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { RunRow } from "../../src/store/port.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { openTestStore } from "../helpers/sqlite-store.js";

checkNoLeftoverProcesses();

const FINAL = new Set(["succeeded", "failed", "canceled", "skipped", "interrupted"]);

const definitions = `namespace: d
pipelines:
  up:
    tasks:
      t: { run: "true" }
  first:
    triggers: [{ after: { pipeline: up } }]
    tasks:
      t: { run: "true" }
  second:
    env_file: gate.env
    triggers: [{ after: { pipeline: up } }]
    tasks:
      t: { run: "true" }
`;

async function runsOf(data: string, pipeline: string): Promise<RunRow[]> {
  const store = openSqliteStore(join(data, "spire.db"));
  try {
    return (await store.listRuns({ namespace: "d", pipeline, limit: 100 })).reverse();
  } finally {
    await store.close();
  }
}

async function pendingFollowers(data: string): Promise<string[]> {
  const store = openSqliteStore(join(data, "spire.db"));
  try {
    return (await store.listPendingFollowers()).map((run) => run.id);
  } finally {
    await store.close();
  }
}

/** The write end of the FIFO once a reader (the engine making second's run) has it open; undefined before. */
function writerOnceRead(fifo: string): number | undefined {
  try {
    return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENXIO") return undefined;
    throw error;
  }
}

/** Kills the engine while it waits to read the env file of second's run. */
async function killWhileMakingSecond(engine: RunningEngine, fifo: string, what: string): Promise<void> {
  let writer: number | undefined;
  await until(() => (writer = writerOnceRead(fifo)) !== undefined, what);
  engine.child.kill("SIGKILL");
  await engine.exit;
  closeSync(writer!);
}

test("after: an engine killed before a follower's run was made; the next engines make it, and nothing twice", async (t) => {
  const data = tempDir(t);
  const gate = join(data, "gate.env");
  writeFileSync(gate, "GATE=open\n");
  const first = await startEngine(t, data);
  assert.equal((await spire(["apply", "-f", pipelineFile(data, definitions)], { data })).code, 0);
  rmSync(gate);
  assert.equal(spawnSync("mkfifo", [gate]).status, 0, "mkfifo");

  const started = await spire(["run", "up", "--detach"], { data });
  assert.equal(started.code, 0, started.stderr);
  const up = started.stdout.trim();
  await until(async () => (await runsOf(data, "first")).length === 1, "first's run to be made");
  await killWhileMakingSecond(first, gate, "the engine to make second's run");
  assert.equal((await runsOf(data, "up"))[0]!.state, "succeeded");
  assert.equal((await runsOf(data, "second")).length, 0, "second's run was not made before the kill");

  // Killed again at the same point: the next engine went back to the finished run's followers.
  const again = await startEngine(t, data);
  await killWhileMakingSecond(again, gate, "the restarted engine to make second's run");

  rmSync(gate);
  writeFileSync(gate, "GATE=open\n");
  const last = await startEngine(t, data);
  await until(async () => (await runsOf(data, "second")).some((run) => FINAL.has(run.state)), "second's run to finish", 15_000);
  await until(async () => (await pendingFollowers(data)).length === 0, "the finished run's followers to be settled");
  await stopEngine(last);

  const [seconds, firsts, ups] = [await runsOf(data, "second"), await runsOf(data, "first"), await runsOf(data, "up")];
  assert.deepEqual(
    [ups.length, firsts.length, seconds.length],
    [1, 1, 1],
    "one run of up; one of each follower, though three engines went through up's followers",
  );
  for (const run of [...firsts, ...seconds]) {
    assert.deepEqual([run.trigger.kind, run.trigger.of, run.state], ["after", up, "succeeded"]);
  }
});

test("store: a follower's run is made with its claim, once; settling forgets the pending run", async (t) => {
  const store = await openTestStore(t, tempDir(t));
  const run = (id: string, pipeline: string, state: RunRow["state"]): RunRow => ({
    id, namespace: "d", pipeline, state, trigger: { kind: "manual" }, args: {}, definition: {}, partition: null, seed: null, reason: null,
    created_at: 1, started_at: null, finished_at: null, warnings: 0, errors: 0, metrics: {},
  });
  const created = (id: string) => ({ run_id: id, ts: 1, type: "run.created", task_path: null, attempt: null, data: {} });
  await store.createRun(run("up1", "up", "running"), created("up1"));
  await store.write([{ event: { ...created("up1"), type: "run.finished" }, run: { id: "up1", state: "succeeded", finished_at: 2 }, awaitsFollowers: true }]);
  assert.deepEqual((await store.listPendingFollowers()).map((row) => [row.id, row.state]), [["up1", "succeeded"]]);

  const claim = { source_run: "up1", namespace: "d", pipeline: "first", trigger_key: "0:after" };
  assert.equal((await store.createFollowerRun(claim, run("f1", "first", "queued"), created("f1")))?.type, "run.created");
  assert.equal(await store.createFollowerRun(claim, run("f2", "first", "queued"), created("f2")), undefined, "the same claim makes nothing");
  assert.equal(await store.getRun("f2"), undefined);
  assert.ok(await store.createFollowerRun({ ...claim, pipeline: "second" }, run("s1", "second", "queued"), created("s1")), "another follower has its own claim");

  await store.settleFollowers("up1");
  assert.deepEqual(await store.listPendingFollowers(), []);
  // Retention may remove a followed run whose followers are still pending: its records go with it.
  await store.write([{ event: { ...created("up1"), type: "run.finished" }, awaitsFollowers: true }]);
  assert.deepEqual(await store.deleteRuns(["up1"]), ["up1"]);
  assert.deepEqual(await store.listPendingFollowers(), []);
});

test("after: a `spire run` with no engine up starts no followers, then or at the next engine's start", async (t) => {
  const data = tempDir(t);
  writeFileSync(join(data, "gate.env"), "GATE=open\n");
  assert.equal((await spire(["apply", "-f", pipelineFile(data, definitions)], { data })).code, 0);
  const ran = await spire(["run", "up"], { data });
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal((await runsOf(data, "up"))[0]?.state, "succeeded");
  // Nothing is left on record for an engine to make later: days later, a run of first would come out of nowhere.
  assert.deepEqual(await pendingFollowers(data), [], "no followers pending after a run with no engine");
  assert.equal((await runsOf(data, "first")).length, 0);
});
