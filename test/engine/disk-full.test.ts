/**
 * The data folder on a disk that fills up (a real tmpfs), with the real
 * `spire engine` and its supervisor: a task that ends meanwhile is recorded
 * once there is room (it used to stay `running` until a restart), new runs
 * are refused with a 507 that says what to do, the engine says it once each
 * way, and nothing stored before is lost. `spire run` in-process says the
 * disk is full, without a stack.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { alive, until } from "../helpers/poll.js";
import { apiGet, startEngine, stopEngine } from "../helpers/engine.js";
import { fillDisk, smallDisk } from "../helpers/small-disk.js";

checkNoLeftoverProcesses();

interface Run {
  id: string;
  state: string;
  tasks: { path: string; state: string; exit_code: number | null; reason: string | null }[];
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;

/** A data folder on a small disk of its own (undefined: the test is skipped), and a file of pipeline d/p with the task `task` (YAML under tasks:). */
async function onSmallDisk(t: TestContext, task: (work: string) => string) {
  const disk = smallDisk(t, 8);
  if (disk === undefined) return undefined;
  const work = tempDir(t, "spire-work-");
  const file = join(work, "spire.yaml");
  writeFileSync(file, `namespace: d\npipelines:\n  p:\n    tasks:\n      ${task(work)}\n`);
  return { disk, data: join(disk, "data"), work, file };
}

test("a task that ends while the disk is full is recorded once there is room; new runs get a 507 meanwhile; said once each way", async (t) => {
  // The task waits for the test's word, so that it ends after the disk is full; then it prints (lines lost to the full disk).
  const setUp = await onSmallDisk(t, (work) => `a:\n        run: 'while [ ! -e "${join(work, "go")}" ]; do sleep 0.02; done; for i in 1 2 3; do echo "line $i"; done'`);
  if (setUp === undefined) return;
  const { disk, data, work, file } = setUp;
  const go = join(work, "go");
  const engine = await startEngine(t, data, ["-f", file]);
  let stderr = "";
  engine.child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  const token = readFileSync(join(data, "token"), "utf8").trim();
  const post = () => fetch(`${engine.url}/api/v1/pipelines/d/p/runs`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });

  writeFileSync(go, "");
  const before = (await (await post()).json()) as Run;
  await until(async () => (await apiGet<Run>(engine, `/runs/${before.id}`)).state === "succeeded", "a run before the disk fills");
  await import("node:fs/promises").then((fs) => fs.rm(go));

  const started = (await (await post()).json()) as Run;
  await until(async () => (await apiGet<Run>(engine, `/runs/${started.id}`)).tasks[0]?.state === "running", "the task running");
  const free = fillDisk(disk);
  writeFileSync(go, "");
  await until(() => /is full/.test(stderr), "the engine saying the disk is full");
  assert.match(stderr, new RegExp(`the disk holding Spire's data folder ${data} is full: free some space`));

  // Its end could not be stored: the run is still running as far as the store knows, and stays so until there is room.
  assert.equal((await apiGet<Run>(engine, `/runs/${started.id}`)).state, "running");
  const refused = await post();
  assert.equal(refused.status, 507);
  const { error } = (await refused.json()) as { error: { code: string; message: string } };
  assert.equal(error.code, "disk_full");
  assert.match(error.message, new RegExp(`${data} is full: free some space on it, then try again`));

  free();
  await until(async () => (await apiGet<Run>(engine, `/runs/${started.id}`)).state === "succeeded", "the run recorded once there is room");
  const recorded = await apiGet<Run>(engine, `/runs/${started.id}`);
  assert.equal(recorded.tasks[0]?.exit_code, 0);
  assert.match(recorded.tasks[0]?.reason ?? "", /3 lines of output lost: the disk was full/);
  assert.equal((await apiGet<Run>(engine, `/runs/${before.id}`)).state, "succeeded", "what was stored before is still there");

  const after = await post();
  assert.equal(after.status, 201, "runs are taken again");
  const next = (await after.json()) as Run;
  await until(async () => (await apiGet<Run>(engine, `/runs/${next.id}`)).state === "succeeded", "a run after");
  await stopEngine(engine);
  assert.equal(count(stderr, /is full/), 1, "the full disk is said once, however often the write was tried");
  assert.equal(count(stderr, /has room again/), 1);
  assert.doesNotMatch(stderr, /internal error|unexpected error/);
});

test("SIGTERM with the disk full: the engine stops once its tasks' kill_grace and a few seconds have passed, and the next start records the run", async (t) => {
  const setUp = await onSmallDisk(t, (work) => `a: { run: 'touch "${join(work, "started")}"; sleep 60', kill_grace: 1s }`);
  if (setUp === undefined) return;
  const { disk, data, work, file } = setUp;
  const engine = await startEngine(t, data, ["-f", file, "--grace", "0s"]);
  const token = readFileSync(join(data, "token"), "utf8").trim();
  const started = (await (await fetch(`${engine.url}/api/v1/pipelines/d/p/runs`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" })).json()) as Run;
  await until(() => existsSync(join(work, "started")), "the task running");
  const free = fillDisk(disk);
  const asked = performance.now();
  engine.child.kill("SIGTERM");
  const stopped = await engine.exit;
  // kill_grace 1 s, then 5 s for the ends to be stored: they cannot be, and the engine does not wait on for good.
  assert.ok(performance.now() - asked < 20_000, `stopped after ${performance.now() - asked} ms`);
  assert.match(stopped.stderr, /runs did not end after their cancel; stopping all the same/);
  free();
  const again = await startEngine(t, data, ["-f", file]);
  await until(async () => !["running", "queued"].includes((await apiGet<Run>(again, `/runs/${started.id}`)).state), "the next engine to end the run");
  await stopEngine(again);
});

test("spire run in this process on a full disk says so and what to do, exit 1, no stack", async (t) => {
  const disk = smallDisk(t, 4);
  if (disk === undefined) return;
  const data = join(disk, "data");
  const work = tempDir(t, "spire-work-");
  writeFileSync(join(work, "spire.yaml"), "pipelines:\n  p:\n    tasks:\n      a: { run: echo hi }\n");
  const first = await spire(["run", "-f", "spire.yaml", "p"], { data, cwd: work });
  assert.equal(first.code, 0, first.stderr);
  const free = fillDisk(disk);
  const full = await spire(["run", "-f", "spire.yaml", "p"], { data, cwd: work });
  free();
  assert.equal(full.code, 1, full.stderr);
  assert.match(full.stderr, new RegExp(`^spire: the disk holding Spire's data folder ${data} is full: free some space on it\\n`));
  assert.doesNotMatch(full.stderr, /internal error|\n\s+at /);
  assert.ok(existsSync(join(data, "spire.db")));
});

test("spire gc on a full disk frees room: the expired runs' folders go first, then their rows, and new runs are taken again", async (t) => {
  // Each run leaves 1 MiB of artifacts; the pipeline keeps one finished run.
  const setUp = await onSmallDisk(t, () => `a: { run: 'head -c 1048576 /dev/zero > "$SPIRE_ARTIFACTS/blob"' }\n    retention: { keep: 1 }`);
  if (setUp === undefined) return;
  const { disk, data, work, file } = setUp;
  const engine = await startEngine(t, data, ["-f", file]);
  const ids: string[] = [];
  for (let index = 0; index < 3; index++) {
    const started = await spire(["run", "d/p", "--detach"], { data, cwd: work });
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    await until(async () => (await apiGet<Run>(engine, `/runs/${id}`)).state === "succeeded", `run ${index + 1} to succeed`);
    ids.push(id);
  }
  fillDisk(disk);
  const refused = await spire(["run", "d/p", "--detach"], { data, cwd: work });
  assert.notEqual(refused.code, 0, "the disk is full");
  assert.match(refused.stderr, /is full/);

  const gc = await spire(["gc"], { data, cwd: work });
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /2 runs/);
  for (const id of ids.slice(0, 2)) assert.equal(existsSync(join(data, "runs", id)), false, `run ${id}'s folder removed`);
  const runs = await apiGet<{ runs: Run[] }>(engine, "/runs?namespace=d");
  assert.deepEqual(runs.runs.map((run) => run.id), [ids[2]], "the expired runs' rows are gone too");
  const again = await spire(["run", "d/p", "--detach"], { data, cwd: work });
  assert.equal(again.code, 0, again.stderr);
  await stopEngine(engine);
});

test("spire cancel on a full disk stops the task at once, and its end is recorded once there is room", async (t) => {
  const setUp = await onSmallDisk(t, (work) => `a: { run: 'echo $$ > "${join(work, "pid")}"; exec sleep 60' }`);
  if (setUp === undefined) return;
  const { disk, data, work, file } = setUp;
  const engine = await startEngine(t, data, ["-f", file]);
  const started = await spire(["run", "d/p", "--detach"], { data, cwd: work });
  assert.equal(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  await until(() => existsSync(join(work, "pid")) && readFileSync(join(work, "pid"), "utf8").endsWith("\n"), "the task running");
  const pid = Number(readFileSync(join(work, "pid"), "utf8"));
  const free = fillDisk(disk);
  const canceled = await spire(["cancel", id], { data, cwd: work });
  assert.equal(canceled.code, 0, canceled.stderr);
  // The run's stop cannot be stored before there is room; the task stops all the same.
  await until(() => !alive(pid), "the task's process to stop while the disk is full", 10_000);
  free();
  await until(async () => (await apiGet<Run>(engine, `/runs/${id}`)).state === "canceled", "the run recorded canceled once there is room");
  // The cancel's audit record waited for room too, and is written.
  await until(async () => (await apiGet<{ entries: { action: string; target: string }[] }>(engine, "/audit?action=run.cancel")).entries.some((entry) => entry.target === id), "the cancel's audit record");
  await stopEngine(engine);
});
