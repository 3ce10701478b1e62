/** The queue policy of SPEC §2, as a pure decision. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { admit, type QueueView } from "../../src/engine/runs/admission.js";

const policy = (queue: { limit: number; strategy: "append" | "replace" | "preempt"; partition_limit?: number }, concurrency = 1, debounce?: number) => ({
  concurrency,
  queue,
  ...(debounce !== undefined ? { debounce } : {}),
});
const view = (running: string[], waiting: [string, string | null][] = []): QueueView => ({
  running: { count: running.length, oldest: running[0] },
  waiting: waiting.map(([id, partition]) => ({ id, partition })),
});

test("a free pipeline starts at once; a busy one queues while there is a place", () => {
  assert.deepEqual(admit(policy({ limit: 2, strategy: "append" }), view([]), null), { action: "start" });
  assert.deepEqual(admit(policy({ limit: 2, strategy: "append" }, 2), view(["a"]), null), { action: "start" });
  assert.deepEqual(admit(policy({ limit: 2, strategy: "append" }), view(["a"]), null), { action: "wait" });
  assert.deepEqual(admit(policy({ limit: 2, strategy: "append" }), view(["a"], [["b", null]]), null), { action: "wait" });
});

test("a full queue: append refuses, replace takes the last place, preempt cancels the oldest running run", () => {
  const full = view(["a"], [["b", null], ["c", null]]);
  const refused = admit(policy({ limit: 2, strategy: "append" }), full, null);
  assert.equal(refused.action, "refuse");
  assert.match((refused as { reason: string }).reason, /the queue is full: 2 of 2 places taken \(strategy append\)/);
  assert.deepEqual(admit(policy({ limit: 2, strategy: "replace" }), full, null), { action: "wait", replaces: "c" });
  assert.deepEqual(admit(policy({ limit: 2, strategy: "preempt" }), full, null), { action: "preempt", cancels: "a" });
});

test("limit 0 refuses whenever the pipeline is busy", () => {
  const decision = admit(policy({ limit: 0, strategy: "append" }), view(["a"]), null);
  assert.equal(decision.action, "refuse");
  assert.match((decision as { reason: string }).reason, /queue.limit: 0/);
});

test("partition_limit gives each partition its own waiting places", () => {
  const busy = view(["a"], [["b", "eu"], ["c", "us"]]);
  const partitioned = policy({ limit: 10, strategy: "replace", partition_limit: 1 });
  assert.deepEqual(admit(partitioned, busy, "eu"), { action: "wait", replaces: "b" });
  assert.deepEqual(admit(partitioned, busy, "us"), { action: "wait", replaces: "c" });
  assert.deepEqual(admit(partitioned, busy, "asia"), { action: "wait" });
});

test("with debounce a run always waits first, and newer triggers coalesce into the waiting one", () => {
  const debounced = policy({ limit: 5, strategy: "append" }, 1, 2000);
  assert.deepEqual(admit(debounced, view([]), null), { action: "wait" });
  assert.deepEqual(admit(debounced, view([], [["b", null]]), null), { action: "wait", replaces: "b" });
});

test("a debounced pipeline with no waiting places still takes a run when idle", () => {
  assert.deepEqual(admit(policy({ limit: 0, strategy: "append" }, 1, 500), view([]), null), { action: "wait" });
});
