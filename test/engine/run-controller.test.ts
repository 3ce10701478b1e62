/**
 * The run state machine with real processes and a real SQLite store:
 * limits, fail_fast, cancel, timeouts, the task environment, secrets, events.
 */
import { LocalLogs } from "../../src/logs/local-logs.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { RunController, type RunChange } from "../../src/engine/runs/run-controller.js";
import { createRun } from "../../src/engine/runs/start-run.js";
import { toRunObject } from "../../src/engine/reads/run-object.js";
import { Slots } from "../../src/engine/resources/slots.js";
import { pipelineSchema } from "../../src/definitions/schema.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { RunRow, TaskRunRow } from "../../src/store/port.js";
import { blankTaskRow } from "../../src/engine/runs/task-row.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import type { TestContext } from "node:test";

checkNoLeftoverProcesses();

async function execute(t: TestContext, definition: unknown, options: { parallelism?: number; args?: Record<string, unknown>; onStart?: (c: RunController) => void; kept?: (runId: string, dir: string) => Map<string, TaskRunRow> } = {}) {
  const dir = tempDir(t);
  const store = openSqliteStore(join(dir, "spire.db"));
  await store.init();
  // What each write held, as the event types (and task paths) it stored together.
  const writes: string[][] = [];
  const write = store.write.bind(store);
  store.write = (changes) => (writes.push(changes.map((change) => `${change.event.type}${change.event.task_path ? ` ${change.event.task_path}` : ""}`)), write(changes));
  const executor = new LocalExecutor();
  const pipeline = pipelineSchema.parse(definition);
  const prepared = await createRun(store, {
    namespace: "test",
    pipelineName: "p",
    pipeline,
    args: options.args ?? {},
    trigger: { kind: "manual", scheduled_at: null },
    baseDir: dir,
    secretSource: { ...process.env, API_TOKEN: "tok-123456789" },
  });
  if (options.kept) prepared.kept = options.kept(prepared.run.id, dir);
  const changes: RunChange[] = [];
  const controller = new RunController(
    { store, executor, logs: new LocalLogs(), dataDir: dir, slots: new Slots(options.parallelism ?? 4), nodePath: process.execPath, baseEnv: process.env },
    prepared,
    (change) => changes.push(change),
  );
  const running = controller.start();
  options.onStart?.(controller);
  const row: RunRow = await running;
  await executor.shutdown();
  const stored = (await store.getRun(row.id))!;
  const events = await store.listEvents(row.id, 0, 10_000);
  const object = toRunObject(stored.run, stored.tasks, prepared.plan);
  t.after(() => store.close());
  return { dir, row, object, changes, events, store, writes };
}

/**
 * The most tasks that were running at once, as the processes themselves saw
 * it: each appends "+" when it starts and "-" before it ends (O_APPEND
 * writes this small are atomic).
 */
function maxConcurrent(ledger: string): number {
  let running = 0;
  let max = 0;
  for (const mark of readFileSync(ledger, "utf8").trim().split("\n")) {
    running += mark === "+" ? 1 : -1;
    max = Math.max(max, running);
  }
  return max;
}

const counted = (ledger: string) => `echo + >> "${ledger}"; sleep 0.1; echo - >> "${ledger}"`;

test("the global parallelism limit is never exceeded", async (t) => {
  const ledger = join(tempDir(t), "ledger");
  const { object } = await execute(t, { tasks: { work: { repeat: 6, run: counted(ledger) } } }, { parallelism: 2 });
  assert.equal(object.state, "succeeded");
  assert.equal(maxConcurrent(ledger), 2);
});

test("an array's parallel limit holds within a wider global limit", async (t) => {
  const ledger = join(tempDir(t), "ledger");
  const { object } = await execute(t, { tasks: { shards: { repeat: 5, parallel: 2, run: counted(ledger) }, solo: { run: "sleep 0.1" } } }, { parallelism: 8 });
  assert.equal(object.state, "succeeded");
  assert.equal(maxConcurrent(ledger), 2);
});

test("fail_fast cancels the tasks still running and skips the rest", async (t) => {
  const started = Date.now();
  const { object } = await execute(t, {
    fail_fast: true,
    tasks: {
      bad: { run: "sleep 0.1; exit 2" },
      slow: { run: "sleep 30", kill_grace: "1s" },
      later: { needs: ["bad"], run: "true" },
      alert: { on_fail: ["bad"], run: "echo alerted" },
    },
  });
  assert.ok(Date.now() - started < 10_000, "did not wait for the slow task");
  const state = (path: string) => object.tasks.find((task) => task.path === path)?.state;
  assert.equal(object.state, "failed");
  assert.equal(state("bad"), "failed");
  assert.equal(state("slow"), "canceled");
  assert.equal(state("later"), "skipped");
  assert.equal(state("alert"), "succeeded", "on_fail handlers still run under fail_fast");
});

test("cancel stops running tasks, marks pending ones canceled, and the run canceled", async (t) => {
  const { object } = await execute(
    t,
    { tasks: { first: { run: "sleep 30", kill_grace: "500ms" }, second: { needs: ["first"], run: "true" } } },
    { onStart: (controller) => setTimeout(() => controller.cancel("stop it"), 200) },
  );
  assert.equal(object.state, "canceled");
  assert.equal(object.reason, "stop it");
  assert.deepEqual(
    object.tasks.map((task) => [task.path, task.state]),
    [
      ["first", "canceled"],
      ["second", "canceled"],
    ],
  );
});

test("a pipeline timeout fails the run and stops its tasks", async (t) => {
  const { object } = await execute(t, { timeout: "300ms", tasks: { long: { run: "sleep 30", kill_grace: "200ms" } } });
  assert.equal(object.state, "failed");
  assert.match(object.reason ?? "", /timed out/);
  assert.equal(object.tasks[0]!.state, "canceled");
});

test("a task sees the environment of SPEC §3", async (t) => {
  const { object, dir, row } = await execute(
    t,
    {
      args: { level: { enum: ["fast", "best"], default: "fast" } },
      env: { FROM_PIPELINE: "p", SHARED: "pipeline" },
      tasks: {
        grid: {
          matrix: { os: ["linux"], py: [3] },
          env: { SHARED: "task" },
          run: "env | grep -E '^(SPIRE_|FROM_PIPELINE|SHARED)' | grep -v SPIRE_TEST_SESSION | sort > \"$SPIRE_ARTIFACTS/env.txt\"",
        },
      },
    },
    { args: { level: "best" } },
  );
  assert.equal(object.state, "succeeded", JSON.stringify(object.tasks));
  const env = Object.fromEntries(
    readFileSync(join(dir, "runs", row.id, "artifacts", "grid[0]", "env.txt"), "utf8")
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  assert.equal(env.SPIRE_RUN_ID, row.id);
  assert.equal(env.SPIRE_NAMESPACE, "test");
  assert.equal(env.SPIRE_PIPELINE, "p");
  assert.equal(env.SPIRE_TASK, "grid[0]");
  assert.equal(env.SPIRE_ATTEMPT, "1");
  assert.equal(env.SPIRE_ARRAY_INDEX, "0");
  assert.equal(env.SPIRE_MATRIX_OS, "linux");
  assert.equal(env.SPIRE_MATRIX_PY, "3");
  assert.equal(env.SPIRE_TRIGGER, "manual");
  assert.equal(env.SPIRE_ARG_LEVEL, "best");
  assert.equal(env.SPIRE_SCHEDULED_AT, new Date(row.created_at).toISOString());
  assert.equal(env.SPIRE_OUTPUT, join(dir, "runs", row.id, "tasks", "grid[0].1.out"));
  assert.equal(env.SPIRE_ARTIFACTS, join(dir, "runs", row.id, "artifacts", "grid[0]"));
  assert.equal(env.FROM_PIPELINE, "p");
  assert.equal(env.SHARED, "task", "a task's env wins over the pipeline's");
});

test("values from env_file and secrets: are masked in logs", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, ".env"), "DB_PASSWORD='hunter2-very-secret'\nSHORT=ab\n");
  const { object, store, row } = await execute(t, {
    env_file: join(dir, ".env"),
    secrets: ["API_TOKEN"],
    tasks: { leak: { run: 'echo "pw=$DB_PASSWORD token=$API_TOKEN short=$SHORT"; echo "::output::pw=$DB_PASSWORD"' } },
  });
  assert.equal(object.state, "succeeded");
  const { tasks } = (await store.getRun(row.id))!;
  const log = readFileSync(tasks[0]!.log_file!, "utf8");
  assert.match(log, /pw=\*\*\* token=\*\*\* short=ab/);
  assert.doesNotMatch(log, /hunter2|tok-123456789/);
  assert.equal(object.tasks[0]!.outputs.pw, "***");
});

test("every state change is an event, in order, written before the run ends", async (t) => {
  const { events, object } = await execute(t, { tasks: { a: { run: "true" }, b: { needs: ["a"], run: "exit 1", allow_failure: true }, c: { needs: ["b"], run: "true" } } });
  assert.equal(object.state, "succeeded", "allow_failure does not fail the run, and dependents still run");
  assert.deepEqual(
    events.map((event) => `${event.type}${event.task_path ? ` ${event.task_path}` : ""}`),
    ["run.created", "run.started", "task.started a", "task.finished a", "task.started b", "task.finished b", "task.started c", "task.finished c", "run.finished"],
  );
  const seqs = events.map((event) => event.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
});

test("the run's start goes with its first task's start, and its end with its last task's end", async (t) => {
  const { writes, object } = await execute(t, { tasks: { a: { run: "true" }, b: { needs: ["a"], run: "exit 3", retries: { max: 1, backoff: "10ms" } } } });
  assert.equal(object.state, "failed");
  assert.deepEqual(writes, [
    ["run.started", "task.started a"],
    ["task.finished a"],
    ["task.started b"],
    ["task.finished b", "task.retry_scheduled b"],
    ["task.started b"],
    ["task.finished b", "run.finished"],
  ]);
});

test("a run whose last task ended while others were skipped ends in a write of its own", async (t) => {
  const { writes, object } = await execute(t, { tasks: { a: { run: "true" }, alert: { on_fail: ["a"], run: "true" } } });
  assert.equal(object.state, "succeeded");
  assert.deepEqual(writes, [["run.started", "task.started a"], ["task.finished a"], ["task.skipped alert"], ["run.finished"]]);
});

test("retries wait with exponential backoff, capped by max_delay", async (t) => {
  const { object, changes } = await execute(t, { tasks: { flaky: { run: "exit 1", retries: { max: 3, backoff: "50ms", factor: 3, max_delay: "200ms" } } } });
  assert.equal(object.state, "failed");
  assert.equal(object.tasks[0]!.attempts, 4);
  const delays = changes.flatMap((change) => (change.type === "retry" ? [change.delayMs] : []));
  assert.deepEqual(delays, [50, 150, 200]);
});

test("a secret argument reaches the task but is stored, shown and logged only as ***", async (t) => {
  const { object, store, row, events } = await execute(
    t,
    { args: { password: { secret: true, required: true } }, tasks: { use: { exec: ["sh", "-c", 'echo "got $SPIRE_ARG_PASSWORD $1"; echo "lengths ${#SPIRE_ARG_PASSWORD} ${#1}"', "sh", "${{ args.password }}"] } } },
    { args: { password: "correct-horse-battery" } },
  );
  assert.equal(object.state, "succeeded");
  assert.deepEqual(object.args, { password: "***" });
  const { tasks } = (await store.getRun(row.id))!;
  const lines = readFileSync(tasks[0]!.log_file!, "utf8").trim().split("\n").map((line) => line.split(" ").slice(2).join(" "));
  assert.deepEqual(lines, ["got *** ***", "lengths 21 21"], "the task saw the real value (21 characters) through env and template; the log masks it");
  assert.doesNotMatch(JSON.stringify(events), /correct-horse-battery/, "not in the event log (argv is masked too)");
});

test("each task can write to $SPIRE_ARTIFACTS from its first instruction, past the folders made ahead, and a retry after its first attempt removed the folder", async (t) => {
  // More tasks than PremadeFolders makes ahead (32), in a chain and side by side.
  const tasks: Record<string, unknown> = {};
  for (let index = 0; index < 40; index++) {
    tasks[`t${index}`] = { run: 'echo "$SPIRE_TASK" > "$SPIRE_ARTIFACTS/mine"', ...(index % 3 === 2 ? { needs: [`t${index - 1}`] } : {}) };
  }
  tasks["again"] = { run: 'if [ "$SPIRE_ATTEMPT" = 1 ]; then rmdir "$SPIRE_ARTIFACTS"; exit 1; fi; echo again > "$SPIRE_ARTIFACTS/mine"', retries: { max: 1, backoff: "10ms" } };
  const { dir, row, object } = await execute(t, { tasks });
  assert.equal(object.state, "succeeded", JSON.stringify(object.tasks.filter((task) => task.state !== "succeeded")));
  for (const name of Object.keys(tasks)) {
    assert.equal(readFileSync(join(dir, "runs", row.id, "artifacts", name, "mine"), "utf8"), `${name === "again" ? "again" : name}\n`);
  }
  assert.equal(object.tasks.find((task) => task.path === "again")?.attempts, 2);
});

test("a retry canceled while its kept tasks are brought in stores its start first, then its stop", async (t) => {
  // The kept task's log, as the run it came from left it.
  const kept = (runId: string, dir: string) => {
    const log = join(dir, "kept.log");
    writeFileSync(log, "done\n");
    return new Map([["a", blankTaskRow("an-earlier-run", "a", 1, { state: "succeeded", exit_code: 0, log_file: log })]]);
  };
  // Canceled at once: the start waits for the kept log's link, which the cancel comes before.
  const { object, events } = await execute(t, { tasks: { a: { run: "true" }, b: { run: "true", needs: ["a"] } } }, { kept, onStart: (controller) => controller.cancel("stop it") });
  assert.equal(object.state, "canceled");
  const types = events.map((event) => event.type);
  assert.ok(types.indexOf("run.started") >= 0 && types.indexOf("run.started") < types.indexOf("run.stopping"), types.join(" "));
  assert.ok(types.indexOf("task.kept") < types.indexOf("run.stopping"), types.join(" "));
  assert.equal(types.filter((type) => type === "task.started").length, 0, "nothing ran after the cancel");
});
