/**
 * Time triggers through the real engine, on the clock (issue 4, item 6):
 * a fixed rate gives one run per slot and no more, a fixed delay counts from
 * the finish, and triggers due at one instant are claimed together.
 *
 * Tolerances are stated where they are used. The machine has 2 cores and
 * other test files run at the same time, so a look can come late; what must
 * never happen (a slot twice, a run before its slot, a fixed delay counted
 * from the start) is asserted exactly.
 */
import { test } from "node:test";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { admin, engineWith, finishedRuns, slotOf } from "./scheduler-harness.js";

checkNoLeftoverProcesses();

// catchup: all, so that a look that comes late (another test file hogging both cores) still runs
// every slot it finds: the count then checks exactly-once whatever the load. How late a look may be
// is bench/fire's question, measured on a quiet machine.
test("every: 100ms for 3 s: 30 runs, each slot once, none before its slot", async (t) => {
  const yaml = `pipelines:\n  tick:\n    triggers: [{ every: 100ms }]\n    catchup: all\n    concurrency: 5\n    tasks:\n      t: { run: "true" }\n`;
  const { store } = await engineWith(t, yaml);
  const from = Date.now();
  const to = from + 3_000;
  // The window is over once the scheduler has handled its last slot (run or missed): a condition, not a sleep.
  let handled = 0;
  const poll = setInterval(() => void store.listSchedules("s").then(([schedule]) => (handled = schedule?.last_slot ?? 0)), 20);
  t.after(() => clearInterval(poll));
  // Slots are 100 ms apart: one handled after to − 100 means every slot up to `to` was.
  await until(() => handled > to - 100, "the scheduler to handle every slot of the 3-second window", 8_000);
  clearInterval(poll);

  const runs = (await store.listRuns({ pipeline: "tick", limit: 1000 })).filter((run) => slotOf(run) > from && slotOf(run) <= to);
  const slots = runs.map(slotOf);
  assert.equal(new Set(slots).size, slots.length, "no slot started two runs");
  // Exactly 30, not 30 ± 1: the window is counted in slots (3,000 ms of 100 ms slots), not by stopping the engine at a time.
  assert.equal(slots.length, 30);
  assert.deepEqual(await store.listMissed({ pipeline: "tick", limit: 10 }), [], "none missed");
  for (const run of runs) assert.ok(run.created_at >= slotOf(run), `run ${run.id} was made ${slotOf(run) - run.created_at} ms before its slot`);
});

test("every 200ms with after_finish: the delay counts from the finish, runs never overlap", async (t) => {
  const yaml = `pipelines:\n  spaced:\n    triggers: [{ every: 200ms, after_finish: true }]\n    concurrency: 5\n    tasks:\n      t: { run: "sleep 0.3" }\n`;
  const { engine, store } = await engineWith(t, yaml);
  await finishedRuns(engine, 3);
  const runs = (await store.listRuns({ pipeline: "spaced", limit: 100 })).filter((run) => run.finished_at !== null).sort((a, b) => a.created_at - b.created_at);
  assert.ok(runs.length >= 3);
  for (let index = 1; index < runs.length; index++) {
    const previous = runs[index - 1]!;
    const run = runs[index]!;
    assert.ok(run.started_at! >= previous.finished_at!, "a run starts only after the previous one finished");
    assert.ok(run.created_at >= previous.finished_at! + 200, `made ${run.created_at - previous.finished_at!} ms after the previous finish, expected ≥ 200`);
    assert.ok(run.started_at! - previous.started_at! >= 500, "start to start: the 300 ms task plus the 200 ms delay");
    // 500 ms of slack: more than twice the delay is a scheduler that lost the slot, not a busy machine.
    assert.ok(run.created_at - (previous.finished_at! + 200) <= 500, `made ${run.created_at - previous.finished_at! - 200} ms after its due time`);
  }
});

test("every with after_finish, paused and resumed while its run runs: the next run waits for that run's end and the delay after it", async (t) => {
  const yaml = `pipelines:\n  spaced:\n    triggers: [{ every: 300ms, after_finish: true }]\n    concurrency: 5\n    tasks:\n      t: { run: "sleep 1" }\n`;
  const { engine, store } = await engineWith(t, yaml);
  await until(async () => (await store.listRuns({ pipeline: "spaced", limit: 10 })).some((run) => run.state === "running"), "the first run to run");
  // Paused and resumed: the trigger is seen anew, as after a restart.
  await engine.setPaused(admin, "s", "spaced", true);
  await engine.setPaused(admin, "s", "spaced", false);
  await finishedRuns(engine, 2);
  const runs = (await store.listRuns({ pipeline: "spaced", limit: 100 })).sort((a, b) => a.created_at - b.created_at);
  const [first, second] = runs;
  assert.ok(first?.finished_at && second, JSON.stringify(runs.map((run) => run.state)));
  assert.ok(second.created_at >= first.finished_at + 300, `the second run was made ${second.created_at - first.finished_at} ms after the first finished, expected ≥ 300`);
});

test("60 triggers due at the same instants: each slot once per pipeline, claimed together", async (t) => {
  const pipelines = Array.from({ length: 60 }, (_, index) => `  p${index}:\n    triggers: [{ every: 300ms }]\n    tasks: {}\n`).join("");
  const { engine, store } = await engineWith(t, `pipelines:\n${pipelines}`);
  await finishedRuns(engine, 60 * 3);
  const runs = await store.listRuns({ namespace: "s", limit: 10_000 });
  const byPipeline = groupBy(runs, (run) => run.pipeline);
  assert.equal(byPipeline.size, 60);
  for (const [name, own] of byPipeline) assert.equal(new Set(own.map(slotOf)).size, own.length, `${name}: no slot twice`);
  // The slots are the same for all (one anchor: applied together). After the first slot, whose runs
  // were being made as the engine started, each instant's runs were stored by one claim at one clock reading.
  const bySlot = groupBy(runs, slotOf);
  const slots = [...bySlot.keys()].sort((a, b) => a - b);
  for (const slot of slots.slice(1, -1)) {
    const created = new Set(bySlot.get(slot)!.map((run) => run.created_at));
    assert.equal(created.size, 1, `the runs of ${new Date(slot).toISOString()} were created at ${[...created].join(", ")}`);
    assert.equal(bySlot.get(slot)!.length, 60);
  }
});

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T, K>(items: T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

test("a fixed-delay slot refused by the queue is skipped, and the trigger goes on from then", async (t) => {
  const gate = join(tmpdir(), `spire-gate-${process.pid}-${Date.now()}`);
  t.after(() => rmSync(gate, { force: true }));
  // queue.limit 0: while the manual run holds the pipeline, a slot's run is refused (skipped).
  const yaml = `pipelines:\n  spaced:\n    triggers: [{ every: 100ms, after_finish: true }]\n    queue: { limit: 0 }\n    tasks:\n      t: { run: 'while [ ! -e "${gate}" ] && [ "$SPIRE_TRIGGER" = manual ]; do sleep 0.02; done' }\n`;
  const { engine, store } = await engineWith(t, yaml, undefined, { startScheduler: false });
  await engine.startRun({ name: "test", scope: "admin" }, "s", "spaced", { args: {} });
  await engine.startScheduler();
  const states = async () => (await store.listRuns({ pipeline: "spaced", limit: 100 })).map((run) => `${run.trigger.kind}:${run.state}`);
  await until(async () => (await states()).includes("every:skipped"), "a slot refused while the manual run holds the pipeline");
  writeFileSync(gate, "");
  // Before the fix, the trigger waited for the skipped run to finish, which never happens: no more runs.
  await until(async () => (await states()).includes("every:succeeded"), "a later slot of the same trigger to run");
});

test("a fixed-delay run canceled while it waits for its turn: the trigger goes on from then", async (t) => {
  const gate = join(tmpdir(), `spire-gate-cancel-${process.pid}-${Date.now()}`);
  t.after(() => rmSync(gate, { force: true }));
  // concurrency 1: while the manual run holds the pipeline, a slot's run waits in the queue.
  const yaml = `pipelines:\n  spaced:\n    triggers: [{ every: 100ms, after_finish: true }]\n    concurrency: 1\n    tasks:\n      t: { run: 'while [ ! -e "${gate}" ] && [ "$SPIRE_TRIGGER" = manual ]; do sleep 0.02; done' }\n`;
  const { engine, store } = await engineWith(t, yaml, undefined, { startScheduler: false });
  await engine.startRun(admin, "s", "spaced", { args: {} });
  await engine.startScheduler();
  const everyRuns = async () => (await store.listRuns({ pipeline: "spaced", limit: 100 })).filter((run) => run.trigger.kind === "every");
  await until(async () => (await everyRuns()).some((run) => run.state === "queued"), "a slot's run to wait behind the manual run");
  const [queued] = await everyRuns();
  await engine.cancelRun(admin, queued!.id);
  writeFileSync(gate, "");
  // Before the fix, the trigger waited for the end of a run that never ran, told only to the watch triggers: no more runs.
  await until(async () => (await everyRuns()).some((run) => run.state === "succeeded"), "a later slot of the same trigger to run");
});
