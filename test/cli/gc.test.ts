/**
 * Retention and `spire gc` through a real engine and the real CLI: keep and
 * days per pipeline, the engine's defaults, a dry run that removes nothing,
 * runs in progress never removed, files removed from disk, and gc with no
 * engine running. Old runs are made old by backdating their rows.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine, waitForState, type RunningEngine } from "../helpers/engine.js";
import { connectWorker } from "../cluster/shared-store.js";

checkNoLeftoverProcesses();

const DAY_MS = 86_400_000;

/** A run to its end, through the engine's API (quicker than a CLI process per run; gc is what these tests drive). */
async function runOnce(engine: RunningEngine, pipeline: string): Promise<string> {
  const headers = { authorization: `Bearer ${readFileSync(join(engine.data, "token"), "utf8").trim()}`, "content-type": "application/json" };
  const started = await fetch(`${engine.url}/api/v1/pipelines/gc/${pipeline}/runs`, { method: "POST", headers, body: "{}" });
  assert.equal(started.status, 201, await started.clone().text());
  const { id } = (await started.json()) as { id: string };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = (await (await fetch(`${engine.url}/api/v1/runs/${id}`, { headers })).json()) as { state: string };
    if (run.state === "succeeded") return id;
    assert.ok(["queued", "running"].includes(run.state) && Date.now() < deadline, `run ${id} is ${run.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Moves a run `days` into the past, as if it had run then (the store's rows only: files keep their times). */
function backdate(data: string, id: string, days: number): void {
  const db = new Database(join(data, "spire.db"));
  try {
    const shift = days * DAY_MS;
    db.prepare("UPDATE runs SET created_at = created_at - ?, started_at = started_at - ?, finished_at = finished_at - ? WHERE id = ?").run(shift, shift, shift, id);
  } finally {
    db.close();
  }
}

const runFolder = (data: string, id: string) => join(data, "runs", id);

test("keep and days per pipeline: gc --dry-run says what it would remove and removes nothing; gc removes rows and folders, never a run in progress", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(
    tempDir(t),
    `
namespace: gc
pipelines:
  counted:
    retention: { keep: 2 }
    tasks:
      work: { run: echo counted > "$SPIRE_ARTIFACTS/out.txt" }
  aged:
    retention: { days: 7 }
    tasks:
      work: { run: echo aged }
  busy:
    retention: { days: 1 }
    tasks:
      work: { run: sleep 600, kill_grace: 200ms }
`,
  );
  const engine = await startEngine(t, data, ["-f", file]);
  const counted: string[] = [];
  for (let index = 0; index < 4; index++) counted.push(await runOnce(engine, "counted"));
  const aged = [await runOnce(engine, "aged"), await runOnce(engine, "aged"), await runOnce(engine, "aged")];
  backdate(data, aged[0]!, 30);
  backdate(data, aged[1]!, 8);
  const busy = (await spire(["run", "busy", "--detach"], { data })).stdout.trim();
  await waitForState(data, busy, "running");
  backdate(data, busy, 30);
  for (const id of [...counted, ...aged]) assert.ok(existsSync(runFolder(data, id)), `${id} has a folder`);

  const dry = await spire(["gc", "--dry-run", "--json"], { data });
  assert.equal(dry.code, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout) as { dry_run: boolean; removed: number; bytes: number; runs: { id: string; pipeline: string }[] };
  assert.equal(planned.dry_run, true);
  assert.deepEqual(planned.runs.map((run) => run.id).sort(), [counted[0], counted[1], aged[0], aged[1]].sort());
  assert.ok(planned.bytes > 0, "their logs and artifacts have a size");
  const said = await spire(["gc", "--dry-run"], { data });
  assert.match(said.stdout, /would remove 4 runs \(/);
  assert.match(said.stdout, /dry run: nothing was removed/);
  for (const id of [...counted, ...aged]) assert.ok(existsSync(runFolder(data, id)), `dry run left ${id}`);
  assert.equal(JSON.parse((await spire(["runs", "--json", "-n", "50"], { data })).stdout).length, 8);

  const done = await spire(["gc"], { data });
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /removed 4 runs \(/);
  for (const id of [counted[0], counted[1], aged[0], aged[1]]) assert.ok(!existsSync(runFolder(data, id!)), `${id}'s files are gone`);
  const shown = await spire(["show", aged[0]!], { data });
  assert.equal(shown.code, 2, "gone from the history");
  const left = (JSON.parse((await spire(["runs", "--json", "-n", "50"], { data })).stdout) as { id: string }[]).map((run) => run.id);
  assert.deepEqual(left.sort(), [counted[2], counted[3], aged[2], busy].sort(), "the newest finished runs and the busy one stay");
  assert.ok(existsSync(join(runFolder(data, counted[3]!), "artifacts", "work", "out.txt")));
  assert.equal((await waitForState(data, busy, "running")).state, "running", "a running run is never removed, however old");
  const again = await spire(["gc", "--json"], { data });
  assert.equal(JSON.parse(again.stdout).removed, 0);
  const audited = await spire(["audit", "--json"], { data });
  assert.equal(audited.code, 0, audited.stderr);
  const audit = JSON.parse(audited.stdout) as { action: string; details: { runs?: number } }[];
  assert.deepEqual(audit.filter((entry) => entry.action === "gc").map((entry) => entry.details.runs), [0, 4]);

  await spire(["cancel", busy], { data });
  await waitForState(data, busy, "canceled");
  await stopEngine(engine);
});

test("the engine's defaults apply to pipelines without retention; with no engine running, gc uses them on the data folder and removes leftover folders", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(tempDir(t), `namespace: gc\npipelines:\n  plain:\n    tasks:\n      work: { run: echo plain }\n`);
  const engine = await startEngine(t, data, ["-f", file, "--keep-runs", "1"]);
  const runs = [await runOnce(engine, "plain"), await runOnce(engine, "plain"), await runOnce(engine, "plain")];
  await stopEngine(engine);
  mkdirSync(join(data, "runs", "0000leftover0000", "tasks"), { recursive: true });
  writeFileSync(join(data, "runs", "0000leftover0000", "tasks", "1.log"), "x".repeat(100));
  const anHourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(join(data, "runs", "0000leftover0000"), anHourAgo, anHourAgo);
  // A folder made a moment ago may be a run's being made (its row comes with its first write): it stays.
  mkdirSync(join(data, "runs", "0000justmade0000"));

  const done = await spire(["gc", "--json"], { data });
  assert.equal(done.code, 0, done.stderr);
  const report = JSON.parse(done.stdout) as { removed: number; runs: { id: string }[]; orphans: number; orphan_bytes: number };
  assert.deepEqual(report.runs.map((run) => run.id).sort(), [runs[0], runs[1]].sort());
  assert.equal(report.orphans, 1);
  assert.equal(report.orphan_bytes, 100);
  assert.ok(!existsSync(join(data, "runs", "0000leftover0000")));
  assert.ok(existsSync(join(data, "runs", "0000justmade0000")), "a new folder is not a leftover yet");
  assert.ok(!existsSync(runFolder(data, runs[0]!)));
  assert.ok(existsSync(runFolder(data, runs[2]!)));
  const listed = JSON.parse((await spire(["runs", "--json"], { data })).stdout) as { id: string }[];
  assert.deepEqual(listed.map((run) => run.id), [runs[2]]);
});

test("spire engine refuses bad retention flags with a clear message", async (t) => {
  const data = tempDir(t);
  for (const [flag, value, said] of [
    ["--keep-runs", "-3", /--keep-runs "-3" is not a whole number of runs/],
    ["--keep-days", "soon", /--keep-days "soon" is not a number of days/],
    ["--artifact-limit", "lots", /--artifact-limit "lots" is not a size/],
  ] as const) {
    const result = await spire(["engine", "--listen", "127.0.0.1:0", flag, value], { data });
    assert.equal(result.code, 2, `${flag} ${value}`);
    assert.match(result.stderr, said);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
});

/** Pipeline `big`, whose task `make` keeps two files of 700 B (`runsOn`: the worker labels it runs on), under an engine with a limit of 1 KiB. */
async function engineWithTwoFiles(t: TestContext, runsOn?: string): Promise<{ data: string; work: string; engine: RunningEngine }> {
  const data = tempDir(t);
  const work = tempDir(t);
  const file = pipelineFile(
    work,
    `
pipelines:
  big:
    tasks:
      make:${runsOn ? `\n        runs_on: [${runsOn}]` : ""}
        run: head -c 700 /dev/zero > a.bin && head -c 700 /dev/zero > b.bin
        artifacts: ["*.bin"]
`,
  );
  return { data, work, engine: await startEngine(t, data, ["-f", file, "--artifact-limit", "1KiB"]) };
}

test("the engine's artifact limit: files past it are not kept, and the task's log says so", async (t) => {
  const { data, engine } = await engineWithTwoFiles(t);
  const run = await spire(["run", "big", "--json"], { data });
  assert.equal(run.code, 0, run.stderr);
  const { id } = JSON.parse(run.stdout) as { id: string };
  assert.ok(existsSync(join(runFolder(data, id), "artifacts", "make", "a.bin")));
  assert.ok(!existsSync(join(runFolder(data, id), "artifacts", "make", "b.bin")));
  const logs = await spire(["logs", id, "make"], { data });
  assert.match(logs.stdout + logs.stderr, /spire: artifacts: 1 file not kept \(b\.bin\): the run's artifacts would pass the limit of 1 KiB \(spire engine --artifact-limit\)/);
  await stopEngine(engine);
});

test("the engine's artifact limit holds for a worker's files too: one past it is refused at its first chunk, and the task's log says so", async (t) => {
  const { data, work, engine } = await engineWithTwoFiles(t, "gpu");
  const worker = await connectWorker(t, engine, work);
  const run = await spire(["run", "big", "--json"], { data });
  assert.equal(run.code, 0, run.stderr);
  const { id } = JSON.parse(run.stdout) as { id: string };
  assert.ok(existsSync(join(runFolder(data, id), "artifacts", "make", "a.bin")));
  assert.ok(!existsSync(join(runFolder(data, id), "artifacts", "make", "b.bin")), "nothing of the file past the limit reached the engine");
  const logs = await spire(["logs", id, "make"], { data });
  assert.match(logs.stdout + logs.stderr, /spire: artifacts: b\.bin not kept: the run's artifacts would pass the limit of 1 KiB \(spire engine --artifact-limit\): run \S+ keeps 700 B already/);
  await worker.stop();
  await stopEngine(engine);
});
