/**
 * Claimed slots' runs are admitted a few per turn, runs with tasks first
 * (src/engine/triggers/slot-admissions.ts), and of everything due at one
 * instant the slots of runs with tasks are claimed first (scheduler.ts): at
 * a busy instant, processes start before runs that start none.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SlotAdmissions } from "../../src/engine/triggers/slot-admissions.js";
import type { EventRow } from "../../src/store/port.js";
import { engineWith, finishedRuns } from "./scheduler-harness.js";

test("runs with tasks are admitted before runs with none still queued, even those claimed earlier", async () => {
  const admitted: string[] = [];
  const admissions = new SlotAdmissions({ stopped: () => false, lookIfDue: () => {}, warn: (message) => assert.fail(message) });
  const add = (id: string, hasTasks: boolean) =>
    admissions.add({ stamp: () => assert.fail("not stamped here"), admit: () => new Promise<void>((resolve) => setImmediate(() => (admitted.push(id), resolve()))) }, { run_id: id } as EventRow, hasTasks);
  for (let index = 0; index < 30; index++) add(`none${index}`, false);
  admissions.resume();
  // The first chunk is under way; runs with tasks of a later slot arrive.
  for (let index = 0; index < 3; index++) add(`tasks${index}`, true);
  await new Promise<void>((resolve) => {
    const check = () => (admitted.length === 33 ? resolve() : setImmediate(check));
    check();
  });
  // Right after the chunk under way when they came (of at most 8), not after the 30.
  const firstTasks = admitted.indexOf("tasks0");
  assert.ok(firstTasks > 0 && firstTasks <= 8, `admitted: ${admitted.join(" ")}`);
  assert.deepEqual(admitted.slice(firstTasks, firstTasks + 3), ["tasks0", "tasks1", "tasks2"], `admitted: ${admitted.join(" ")}`);
  assert.deepEqual(admitted.filter((id) => id.startsWith("none")), Array.from({ length: 30 }, (_, index) => `none${index}`), "the others in claim order");
});

test("of everything due at one instant, the slots of pipelines with tasks are claimed first", async (t) => {
  // The pipelines with a task come last in the file, where the order of the entries would put them last.
  const none = Array.from({ length: 20 }, (_, index) => `  a${index}:\n    triggers: [{ every: 300ms, align: true }]\n    tasks: {}\n`).join("");
  const some = Array.from({ length: 4 }, (_, index) => `  z${index}:\n    triggers: [{ every: 300ms, align: true }]\n    tasks:\n      t: { run: "true" }\n`).join("");
  const { engine, store } = await engineWith(t, `pipelines:\n${none}${some}`);
  await finishedRuns(engine, 48);
  await engine.drain(5_000);
  const runs = await store.listRuns({ namespace: "s", limit: 1_000 });
  const bySlot = new Map<string, { pipeline: string; seq: number }[]>();
  for (const run of runs) {
    const [created] = await store.listEvents(run.id, 0, 1);
    const slot = String(run.trigger.scheduled_at);
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), { pipeline: run.pipeline, seq: created!.seq }]);
  }
  let whole = 0;
  for (const [slot, created] of bySlot) {
    if (created.length < 24) continue;
    whole++;
    const order = created.sort((a, b) => a.seq - b.seq).map((one) => one.pipeline);
    assert.deepEqual(order.slice(0, 4).sort(), ["z0", "z1", "z2", "z3"], `slot ${slot}: ${order.join(" ")}`);
  }
  assert.ok(whole >= 1, "at least one slot ran for all 24 pipelines");
});
