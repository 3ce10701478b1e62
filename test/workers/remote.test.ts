/**
 * Workers on other machines, for real: the engine and each worker are
 * processes in their own network namespace, talking over a network the test
 * can cut.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { skipWithoutNetns } from "../helpers/netns.js";
import { isRunning } from "../helpers/leaks.js";
import { readFrames } from "../helpers/sse.js";
import { connected, logOf, runToEnd, startCluster, waitForRun, waitUntil } from "./cluster.js";

const skip = skipWithoutNetns();
if (skip) console.log(`# skipped: ${skip}`);

test("tasks go to the workers whose labels they name, the rest run on the engine's machine; logs and SPIRE_WORKER come back", { skip }, async (t) => {
  const cluster = await startCluster(
    t,
    ["gpu", "pi"],
    `pipelines:
  spread:
    tasks:
      on-gpu: { run: 'echo "ran on $SPIRE_WORKER"; echo "to stderr" >&2; echo "::output::answer=42"', runs_on: [gpu] }
      on-pi: { run: 'echo "ran on $SPIRE_WORKER"', runs_on: pi }
      here: { run: 'echo "ran on $SPIRE_WORKER"' }
      after: { run: 'echo "answer $ANSWER"', env: { ANSWER: "\${{ tasks.on-gpu.outputs.answer }}" }, needs: [on-gpu] }
`,
  );
  // Whoever watches the whole engine hears of workers as they come.
  const stream = await fetch(`${cluster.engineUrl}/api/v1/events`, { headers: { authorization: `Bearer ${cluster.token}` } });
  const announced = readFrames(stream, (frame) => frame.event === "workers" && (JSON.parse(frame.data) as { name: string }).name === "gpu");
  const gpu = cluster.worker("gpu", ["--labels", "gpu,linux"]);
  const pi = cluster.worker("pi", ["--labels", "pi"]);
  await Promise.all([connected(cluster, "gpu"), connected(cluster, "pi")]);
  const gpuFrame = (await announced).find((frame) => frame.event === "workers" && frame.data.includes('"gpu"'))!;
  assert.deepEqual((({ name, labels, state, local }) => ({ name, labels, state, local }))(JSON.parse(gpuFrame.data) as { name: string; labels: string[]; state: string; local: boolean }), { name: "gpu", labels: ["gpu", "linux"], state: "connected", local: false });
  const run = await runToEnd(cluster, "spread");
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  const byPath = new Map(run.tasks.map((task) => [task.path, task]));
  assert.equal(byPath.get("on-gpu")!.worker, "gpu");
  assert.equal(byPath.get("on-pi")!.worker, "pi");
  assert.equal(byPath.get("here")!.worker, hostname());
  // stdout and stderr are two pipes: their lines interleave as they come.
  assert.deepEqual((await logOf(cluster, run.id, "on-gpu")).sort(), ["::output::answer=42", "ran on gpu", "to stderr"]);
  assert.deepEqual(await logOf(cluster, run.id, "on-pi"), ["ran on pi"]);
  assert.deepEqual(await logOf(cluster, run.id, "here"), [`ran on ${hostname()}`]);
  assert.deepEqual(await logOf(cluster, run.id, "after"), ["answer 42"], "an output made on a worker reaches a task on another machine");
  await cluster.shutdown([gpu, pi]);
});

test("artifacts made on one worker reach a task on another worker (also into a group and from an array) and one on the engine's machine, and the engine lists them", { skip }, async (t) => {
  const cluster = await startCluster(
    t,
    ["w1", "w2"],
    `pipelines:
  relay:
    tasks:
      make: { run: 'mkdir -p out && echo "made on $SPIRE_WORKER" > out/result.txt && echo skip > out/note.log', artifacts: ["out/*.txt"], runs_on: [one] }
      use: { run: 'cat "$SPIRE_ARTIFACTS/../make/out/result.txt"', needs: [make], runs_on: [two] }
      here: { run: 'cat "$SPIRE_ARTIFACTS/../make/out/result.txt"', needs: [make] }
      checks:
        runs_on: [two]
        group:
          inner: { run: 'cp "$SPIRE_ARTIFACTS/../make/out/result.txt" "$SPIRE_ARTIFACTS/copy.txt"', needs: [make] }
      shards: { repeat: 2, run: 'echo "shard $SPIRE_ARRAY_INDEX" > "$SPIRE_ARTIFACTS/part.txt"', runs_on: [one] }
      join: { run: 'cat "$SPIRE_ARTIFACTS/../shards/1/part.txt" "$SPIRE_ARTIFACTS/../checks/inner/copy.txt"', needs: [shards, checks], runs_on: [two] }
`,
  );
  const w1 = cluster.worker("w1", ["--labels", "one"]);
  const w2 = cluster.worker("w2", ["--labels", "two"]);
  await Promise.all([connected(cluster, "w1"), connected(cluster, "w2")]);
  const run = await runToEnd(cluster, "relay");
  assert.equal(run.state, "succeeded", JSON.stringify({ tasks: run.tasks, join: await logOf(cluster, run.id, "join") }));
  assert.deepEqual(await logOf(cluster, run.id, "use"), ["made on w1"]);
  assert.deepEqual(await logOf(cluster, run.id, "here"), ["made on w1"]);
  // Into a group (checks/make → ../make) and from an array by index (shards/1 → ../shards[1]), as on the engine's machine.
  assert.deepEqual(await logOf(cluster, run.id, "join"), ["shard 1", "made on w1"]);
  const { body } = await cluster.api<{ artifacts: { task: string; name: string }[] }>("GET", `/runs/${run.id}/artifacts`);
  assert.deepEqual(body.artifacts.filter((artifact) => artifact.task === "make").map((artifact) => artifact.name), ["out/result.txt"]);
  // Written straight into $SPIRE_ARTIFACTS on a worker: kept like a pattern's match.
  assert.deepEqual(body.artifacts.filter((artifact) => artifact.task.startsWith("shards")).map((artifact) => `${artifact.task}/${artifact.name}`).sort(), ["shards[0]/part.txt", "shards[1]/part.txt"]);
  await cluster.shutdown([w1, w2]);
});

test("canceling a run stops its task on the worker: the task is canceled and its process is gone", { skip }, async (t) => {
  const cluster = await startCluster(
    t,
    ["w1"],
    `pipelines:
  long:
    tasks:
      wait: { run: 'echo $$ > "pid-$SPIRE_WORKER"; sleep 30', runs_on: [box] }
`,
  );
  const w1 = cluster.worker("w1", ["--labels", "box"]);
  await connected(cluster, "w1");
  const id = (await cluster.cli(["run", "long", "--detach"])).stdout.trim();
  const pidFile = join(cluster.dir, "pid-w1");
  await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", 15_000, () => "the task did not start on w1");
  const canceled = await cluster.cli(["cancel", id]);
  assert.equal(canceled.code, 0, canceled.stderr);
  const run = await waitForRun(cluster, id);
  assert.equal(run.state, "canceled");
  assert.equal(run.tasks[0]!.state, "canceled");
  assert.equal(isRunning(Number(readFileSync(pidFile, "utf8"))), false);
  await cluster.shutdown([w1]);
});

test("a task no connected worker can take waits, saying why, and fails after its timeout; the time it waited counts against its timeout on the worker", { skip }, async (t) => {
  const cluster = await startCluster(
    t,
    ["w1"],
    `pipelines:
  lonely:
    tasks:
      needs-gpu: { run: 'echo never', runs_on: [gpu], timeout: 2s }
  late:
    tasks:
      slow: { run: 'sleep 30', runs_on: [box], timeout: 8s }
`,
  );
  const run = await runToEnd(cluster, "lonely");
  assert.equal(run.state, "failed");
  const task = run.tasks[0]!;
  assert.equal(task.state, "timed_out");
  assert.equal(task.worker, null, "it ran nowhere");
  assert.match(task.reason ?? "", /timed out after 2s waiting: waiting for a worker with labels gpu: none is connected/);

  // The scenario is a wait: the worker that can take the task comes a second and a half after it (and takes a while to start).
  const id = (await cluster.cli(["run", "late", "--detach"])).stdout.trim();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const w1 = cluster.worker("w1", ["--labels", "box"]);
  const late = (await waitForRun(cluster, id)).tasks[0]!;
  assert.equal(late.state, "timed_out");
  assert.equal(late.worker, "w1");
  const waited = /^timed out after 8s \(([\d.]+)s of it waiting for a worker\)$/.exec(late.reason ?? "");
  assert.ok(waited, `the reason says how much of the timeout went to waiting: ${late.reason}`);
  const waitedMs = Number(waited[1]) * 1000;
  assert.ok(waitedMs >= 1500, `it waited ${waitedMs} ms`);
  // On the worker it ran for what was left (8 s − the wait), not 8 s more.
  assert.ok(late.duration_ms! < 8000 - waitedMs / 2, `it ran ${late.duration_ms} ms on the worker after waiting ${waitedMs} ms`);
  await cluster.shutdown([w1]);
});

test("a worker runs at most --tasks attempts at once, a counted lock holds across machines, and a worker token reaches only the worker routes", { skip }, async (t) => {
  const cluster = await startCluster(
    t,
    ["w1", "w2"],
    `locks: { shared: 1 }
pipelines:
  busy:
    tasks:
      a: { run: 'sleep 0.6', runs_on: [box], locks: [shared] }
      b: { run: 'sleep 0.6', runs_on: [box] }
      c: { run: 'sleep 0.6', runs_on: [other], locks: [shared] }
`,
  );
  const w1 = cluster.worker("w1", ["--labels", "box", "--tasks", "1"]);
  const w2 = cluster.worker("w2", ["--labels", "other"]);
  await Promise.all([connected(cluster, "w1"), connected(cluster, "w2")]);
  const run = await runToEnd(cluster, "busy");
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  const span = (path: string) => {
    const task = run.tasks.find((candidate) => candidate.path === path) as unknown as { started_at: string; finished_at: string; worker: string };
    return { from: Date.parse(task.started_at), to: Date.parse(task.finished_at), worker: task.worker };
  };
  const [a, b, c] = [span("a"), span("b"), span("c")];
  assert.deepEqual([a.worker, b.worker, c.worker], ["w1", "w1", "w2"]);
  const apart = (x: { from: number; to: number }, y: { from: number; to: number }) => x.to <= y.from || y.to <= x.from;
  assert.ok(apart(a, b), `w1 ran a and b at once: ${JSON.stringify({ a, b })}`);
  assert.ok(apart(a, c), `the lock was held on two machines at once: ${JSON.stringify({ a, c })}`);

  const asWorker = async (method: string, path: string, body?: unknown) =>
    (
      await fetch(`${cluster.engineUrl}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${cluster.workerToken}`, ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    ).status;
  assert.equal(await asWorker("GET", "/runs"), 403);
  assert.equal(await asWorker("GET", `/runs/${run.id}`), 403);
  assert.equal(await asWorker("POST", "/apply", { text: "pipelines: {}" }), 403);
  assert.equal(await asWorker("GET", "/workers"), 403);
  await cluster.shutdown([w1, w2]);
});

