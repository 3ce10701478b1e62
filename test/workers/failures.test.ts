/**
 * Workers when things go wrong, for real: a worker killed with -9, the
 * engine killed with -9, a link cut and restored. Each machine is a process
 * in its own network namespace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { skipWithoutNetns } from "../helpers/netns.js";
import { isRunning } from "../helpers/leaks.js";
import { connected, logOf, startCluster, waitForRun, waitUntil } from "./cluster.js";

const skip = skipWithoutNetns();
if (skip) console.log(`# skipped: ${skip}`);

test("a worker killed with -9 mid-task: its attempt is interrupted once its lease lapses and retried on another worker, and never runs on both", { skip }, async (t) => {
  const cluster = await startCluster(
    t,
    ["w1", "w2"],
    `pipelines:
  once:
    tasks:
      long:
        run: 'echo $$ > "pid-$SPIRE_WORKER"; echo start >> ledger; sleep 4; echo "end on $SPIRE_WORKER" >> ledger'
        runs_on: [box]
        retries: 1
`,
    ["--worker-lease", "3s"],
  );
  const w1 = cluster.worker("w1", ["--labels", "box"]);
  await connected(cluster, "w1");
  const started = await cluster.cli(["run", "once", "--detach"]);
  const id = started.stdout.trim();
  const pidFile = join(cluster.dir, "pid-w1");
  await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", 15_000, () => "the task did not start on w1");
  const firstPid = Number(readFileSync(pidFile, "utf8"));
  w1.kill("SIGKILL");
  const w2 = cluster.worker("w2", ["--labels", "box"]);
  const run = await waitForRun(cluster, id, 40_000);
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  const task = run.tasks[0]!;
  assert.equal(task.worker, "w2");
  assert.equal(task.attempts, 2);
  const ledger = readFileSync(join(cluster.dir, "ledger"), "utf8").trim().split("\n");
  assert.deepEqual(ledger, ["start", "start", "end on w2"], "the first attempt was stopped before the second began, and never ended");
  assert.equal(isRunning(firstPid), false);
  await cluster.shutdown([w2]);
});

test("the engine killed with -9 while a worker runs a task: the next engine takes it up when the worker registers again; one result, the whole log", { skip }, async (t) => {
  const cluster = await startCluster(
    t,
    ["w1"],
    `pipelines:
  steady:
    tasks:
      work:
        run: 'echo start >> ledger; i=1; while [ $i -le 28 ]; do echo "line $i"; i=$((i+1)); sleep 0.25; done; echo end >> ledger'
        runs_on: [box]
        resources: { cpus: 1 }
      then: { run: 'echo after', needs: [work] }
`,
  );
  const w1 = cluster.worker("w1", ["--labels", "box"]);
  await connected(cluster, "w1");
  const started = await cluster.cli(["run", "steady", "--detach"]);
  const id = started.stdout.trim();
  await waitUntil(async () => (await logOf(cluster, id, "work").catch(() => [])).length >= 2, 15_000, () => "no log arrived");
  await cluster.restartEngine();
  // The task it took up holds its room on w1, as one placed there does: nothing more goes to a full worker.
  const inUse = async () => (await cluster.api<{ workers: { name: string; state: string; in_use: { tasks: number; cpus: number } }[] }>("GET", "/workers")).body.workers.find((worker) => worker.name === "w1");
  // Both figures from one answer: the task may end soon after, and its room with it.
  let seen: Awaited<ReturnType<typeof inUse>>;
  await waitUntil(async () => (seen = await inUse())?.in_use.tasks === 1, 15_000, () => "the task taken up after the restart does not count in w1's room");
  assert.equal(seen!.in_use.cpus, 1, "nor its cpus");
  const run = await waitForRun(cluster, id, 40_000);
  assert.equal(run.state, "succeeded", `${JSON.stringify(run.tasks)}\n${cluster.stderrOf(cluster.engine).slice(-2000)}`);
  const work = run.tasks.find((task) => task.path === "work")!;
  assert.equal(work.attempts, 1);
  assert.equal(work.worker, "w1");
  assert.deepEqual(await logOf(cluster, id, "work"), Array.from({ length: 28 }, (_, i) => `line ${i + 1}`));
  assert.deepEqual(readFileSync(join(cluster.dir, "ledger"), "utf8").trim().split("\n"), ["start", "end"]);
  await cluster.shutdown([w1]);
});

test("the link cut for 6 s (past a heartbeat, within the lease) mid-task and restored: the task goes on, the whole log arrives in order, one result", { skip }, async (t) => {
  const cluster = await startCluster(
    t,
    ["far"],
    `pipelines:
  chatty:
    tasks:
      talk:
        run: 'i=1; while [ $i -le 40 ]; do echo "line $i"; i=$((i+1)); sleep 0.25; done'
        runs_on: [far]
`,
  );
  const far = cluster.worker("far", ["--labels", "far"]);
  await connected(cluster, "far");
  const started = await cluster.cli(["run", "chatty", "--detach"]);
  const id = started.stdout.trim();
  await waitUntil(async () => (await logOf(cluster, id, "talk").catch(() => [])).length >= 3, 15_000, () => "no log arrived");
  await cluster.network.cut("far");
  // Longer than the worker's heartbeat (5 s): reports fail and are tried again; shorter than its lease (30 s).
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  await cluster.network.restore("far");
  const run = await waitForRun(cluster, id, 40_000);
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  assert.equal(run.tasks[0]!.attempts, 1);
  const lines = await logOf(cluster, id, "talk");
  assert.deepEqual(lines, Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
  await cluster.shutdown([far]);
});
