/**
 * SPEC §6, for real: the engine killed mid-run (SIGKILL, or a second
 * SIGTERM) loses nothing. Its supervisor runs the tasks on; the next engine
 * adopts what still runs, records what ended meanwhile, and carries the run
 * on. With the supervisor killed too, what was running is marked
 * interrupted and its processes are ended.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { alive, until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine, waitForState, type RunningEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();



/** A task body: appends itself to the ledger, says it started, waits for `gate`, prints, exits with `code`. */
function waiting(data: string, name: string, gate: string, code = 0): string {
  const ledger = join(data, "ledger");
  return `echo "$SPIRE_TASK $SPIRE_ATTEMPT" >> "${ledger}"; touch "${join(data, `${name}.started`)}"; while [ ! -e "${join(data, gate)}" ]; do sleep 0.05; done; echo "${name} after the gate"; exit ${code}`;
}

async function startRun(data: string, body: string, pipeline: string): Promise<string> {
  assert.equal((await spire(["apply", "-f", pipelineFile(data, body)], { data })).code, 0);
  const started = await spire(["run", pipeline, "--detach"], { data });
  assert.equal(started.code, 0, started.stderr);
  return started.stdout.trim();
}

async function killEngine(engine: RunningEngine): Promise<void> {
  engine.child.kill("SIGKILL");
  await engine.exit;
}

/** The supervisor's records of attempt 1 (src/exec/supervisor/attempt-files.ts): JSON lines, a started one then a result one. */
const recordsFile = (data: string, run: string, task: string) => join(data, "runs", run, "tasks", `${task}.1.records`);
const hasResult = (data: string, run: string, task: string) => existsSync(recordsFile(data, run, task)) && readFileSync(recordsFile(data, run, task), "utf8").includes('{"result":');

async function storedEvents(data: string, run: string) {
  const store = openSqliteStore(join(data, "spire.db"));
  try {
    return await store.listEvents(run, 0, 1000);
  } finally {
    await store.close();
  }
}

test("kill -9 mid-run: every task runs exactly once, with its real exit code and its whole log", async (t) => {
  const data = tempDir(t);
  const ledger = join(data, "ledger");
  // Room for all three at once, whatever this machine's CPU count.
  const engine = await startEngine(t, data, ["--parallelism", "8"]);
  const id = await startRun(
    data,
    `namespace: c
pipelines:
  crash:
    tasks:
      first: { run: 'echo "$SPIRE_TASK $SPIRE_ATTEMPT" >> "${ledger}"; echo first' }
      quick: { needs: [first], run: '${waiting(data, "quick", "down")}' }
      bad: { needs: [first], run: '${waiting(data, "bad", "down", 4)}' }
      slow: { needs: [first], run: '${waiting(data, "slow", "up")}' }
      last: { needs: [quick, slow], run: 'echo "$SPIRE_TASK $SPIRE_ATTEMPT" >> "${ledger}"; echo last' }
      after_bad: { needs: [bad], run: 'echo "$SPIRE_TASK $SPIRE_ATTEMPT" >> "${ledger}"' }
`,
    "crash",
  );
  await until(() => ["quick", "bad", "slow"].every((name) => existsSync(join(data, `${name}.started`))), "three tasks to start");
  await killEngine(engine);

  // With no engine: two tasks finish (one fails), their lines and results go to disk through the supervisor.
  writeFileSync(join(data, "down"), "");
  await until(() => hasResult(data, id, "quick") && hasResult(data, id, "bad"), "results written while the engine was down");

  const restarted = await startEngine(t, data, ["--parallelism", "8"]);
  writeFileSync(join(data, "up"), "");
  const shown = await waitForState(data, id, "failed");
  assert.equal(shown.state, "failed", "bad failed, and nothing else did");
  const byPath = Object.fromEntries((shown.tasks as { path: string; state: string; exit_code: number | null; attempts: number }[]).map((task) => [task.path, [task.state, task.exit_code, task.attempts]]));
  assert.deepEqual(byPath, {
    first: ["succeeded", 0, 1],
    quick: ["succeeded", 0, 1],
    bad: ["failed", 4, 1],
    slow: ["succeeded", 0, 1],
    last: ["succeeded", 0, 1],
    after_bad: ["skipped", null, 0],
  });
  assert.deepEqual(readFileSync(ledger, "utf8").trim().split("\n").sort(), ["bad 1", "first 1", "last 1", "quick 1", "slow 1"], "each task ran exactly once");
  for (const [task, line] of [["quick", "quick after the gate"], ["bad", "bad after the gate"], ["slow", "slow after the gate"], ["last", "last"]]) {
    const logs = await spire(["logs", id, task!], { data });
    assert.equal(logs.stdout, `${line}\n`, `the log of ${task}, lines written while the engine was down included`);
  }
  await stopEngine(restarted);
  const resumed = (await storedEvents(data, id)).find((event) => event.type === "run.resumed");
  assert.deepEqual(resumed?.data, { adopted: 1, recorded: 2, interrupted: 0, waiting_retries: 0 }, "slow adopted; quick and bad recorded from the supervisor");
});

test("supervisor killed too: the running task is interrupted with a reason, its process ended, its dependents skipped", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const id = await startRun(
    data,
    `namespace: s
pipelines:
  lost:
    tasks:
      job: { run: '${waiting(data, "job", "never")}' }
      next: { needs: [job], run: 'echo next' }
`,
    "lost",
  );
  await until(() => existsSync(join(data, "job.started")), "the task to start");
  const supervisorPid = Number(readFileSync(join(data, "supervisor.sock.pid"), "utf8").split(" ")[0]);
  const taskPid = (JSON.parse(readFileSync(recordsFile(data, id, "job"), "utf8").split("\n")[0]!) as { started: { pid: number } }).started.pid;
  await killEngine(engine);
  process.kill(supervisorPid, "SIGKILL");
  await until(() => !alive(supervisorPid), "the supervisor to die");
  assert.ok(alive(taskPid), "nothing can catch SIGKILL: the task is orphaned");

  const restarted = await startEngine(t, data);
  const shown = (await waitForState(data, id, "interrupted")) as unknown as { state: string; reason: string; tasks: { path: string; state: string; reason: string | null }[] };
  assert.equal(shown.state, "interrupted");
  assert.match(shown.reason, /^job was interrupted: the engine and its supervisor stopped while it ran/);
  const job = shown.tasks.find((task) => task.path === "job")!;
  assert.equal(job.state, "interrupted");
  assert.match(job.reason ?? "", /its end was not seen \(its processes, left with nobody to read their output, were killed\)/);
  assert.equal(shown.tasks.find((task) => task.path === "next")?.state, "skipped");
  await until(() => !alive(taskPid), "the orphaned task to be killed");
  await stopEngine(restarted);
});

test("a second SIGTERM exits at once; the tasks go on and the next engine takes them up", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["--grace", "60s"]);
  const id = await startRun(
    data,
    `namespace: q
pipelines:
  twice:
    tasks:
      job: { run: '${waiting(data, "job", "go", 5)}', allow_failure: true }
      next: { needs: [job], run: 'echo "$SPIRE_TASK $SPIRE_ATTEMPT" >> "${join(data, "ledger")}"' }
`,
    "twice",
  );
  await until(() => existsSync(join(data, "job.started")), "the task to start");
  let stderr = "";
  engine.child.stderr!.on("data", (chunk: Buffer | string) => (stderr += String(chunk)));
  engine.child.kill("SIGTERM");
  await until(() => stderr.includes("draining"), "the engine to start draining");
  engine.child.kill("SIGTERM");
  const exit = await engine.exit;
  assert.equal(exit.code, 130, "the second signal: exit now");
  assert.match(exit.stderr, /second signal: exiting now/);
  assert.equal(readFileSync(join(data, "ledger"), "utf8"), "job 1\n", "the task still waits, in the supervisor");

  const restarted = await startEngine(t, data);
  writeFileSync(join(data, "go"), "");
  const shown = await waitForState(data, id, "succeeded");
  assert.equal(shown.state, "succeeded", "job may fail");
  assert.deepEqual(
    shown.tasks.map((task) => [task.state, task.exit_code]),
    [["failed", 5], ["succeeded", 0]],
    "job's real exit code; next ran after it",
  );
  assert.equal(readFileSync(join(data, "ledger"), "utf8"), "job 1\nnext 1\n");
  await stopEngine(restarted);
});

test("a run that cannot go on after a restart keeps the results that came in meanwhile, and its still-running tasks are stopped", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["--parallelism", "4"]);
  writeFileSync(join(data, ".env"), "GREETING=hi\n");
  const id = await startRun(
    data,
    `namespace: u
pipelines:
  broken:
    env_file: .env
    tasks:
      done: { run: '${waiting(data, "done", "down", 5)}' }
      going: { run: '${waiting(data, "going", "never")}' }
`,
    "broken",
  );
  await until(() => existsSync(join(data, "done.started")) && existsSync(join(data, "going.started")), "both tasks to start");
  const goingPid = (JSON.parse(readFileSync(recordsFile(data, id, "going"), "utf8").split("\n")[0]!) as { started: { pid: number } }).started.pid;
  await killEngine(engine);
  writeFileSync(join(data, "down"), "");
  await until(() => hasResult(data, id, "done"), "done's result, written while the engine was down");
  // The run's env_file is gone: the next engine cannot prepare the run again.
  rmSync(join(data, ".env"));

  const restarted = await startEngine(t, data, ["--parallelism", "4"]);
  const shown = (await waitForState(data, id, "interrupted")) as unknown as { state: string; reason: string; tasks: { path: string; state: string; exit_code: number | null; reason: string | null }[] };
  assert.equal(shown.state, "interrupted");
  assert.match(shown.reason, /cannot go on/);
  const byPath = Object.fromEntries(shown.tasks.map((task) => [task.path, task]));
  assert.equal(byPath.done!.state, "failed", "its real result, recorded");
  assert.equal(byPath.done!.exit_code, 5);
  assert.equal(byPath.going!.state, "interrupted");
  assert.match(byPath.going!.reason ?? "", /its processes were stopped/);
  await until(() => !alive(goingPid), "the task that could not go on to be stopped");
  assert.equal((await spire(["logs", id, "done"], { data })).stdout, "done after the gate\n");
  await stopEngine(restarted);
});

test("a retry queued behind a running run, then kill -9: the next engine starts it with the results it was made to keep", async (t) => {
  const data = tempDir(t);
  const ledger = join(data, "ledger");
  // first: records itself; while `hold` exists it waits for `gate`. second: passes once `ok` exists.
  const body = `namespace: q
pipelines:
  flow:
    concurrency: 1
    tasks:
      first: { run: 'echo "$SPIRE_RUN_ID" >> "${ledger}"; if [ -e "${join(data, "hold")}" ]; then while [ ! -e "${join(data, "gate")}" ]; do sleep 0.05; done; fi' }
      second: { needs: [first], run: 'test -e "${join(data, "ok")}"' }
`;
  const engine = await startEngine(t, data);
  const failed = await startRun(data, body, "flow");
  assert.equal((await waitForState(data, failed, "failed")).state, "failed");
  writeFileSync(join(data, "hold"), "");
  const blocker = (await spire(["run", "flow", "--detach"], { data })).stdout.trim();
  await until(() => readFileSync(ledger, "utf8").includes(blocker), "the blocking run's first task to start");
  writeFileSync(join(data, "ok"), "");
  const retried = await spire(["retry", failed, "--detach"], { data });
  assert.equal(retried.code, 0, retried.stderr);
  const retry = retried.stdout.trim();
  assert.equal((await waitForState(data, retry, "queued")).state, "queued", "it waits behind the blocking run (concurrency 1)");
  await killEngine(engine);

  const restarted = await startEngine(t, data);
  writeFileSync(join(data, "gate"), "");
  assert.equal((await waitForState(data, blocker, "succeeded")).state, "succeeded");
  const shown = await waitForState(data, retry, "succeeded");
  assert.equal(shown.state, "succeeded");
  assert.deepEqual(readFileSync(ledger, "utf8").trim().split("\n"), [failed, blocker], "first passed in the retried run: the retry kept it instead of running it again");
  await stopEngine(restarted);
});
