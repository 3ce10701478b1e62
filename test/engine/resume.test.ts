/** Where a run stood when its engine stopped, from its stored rows and events (pure). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { resumePoint, type Reattached } from "../../src/engine/recovery/resume.js";
import { blankTaskRow } from "../../src/engine/runs/task-row.js";
import type { EventRow, TaskRunRow } from "../../src/store/port.js";

const row = (path: string, attempt: number, fields: Partial<TaskRunRow>) => blankTaskRow("r", path, attempt, fields);
let seq = 0;
const event = (type: string, ts: number, fields: Partial<EventRow> = {}): EventRow => ({ seq: ++seq, run_id: "r", ts, type, task_path: null, attempt: null, data: {}, ...fields });
const adopted: Reattached = { kind: "running", adopt: () => assert.fail("not called here") };

test("finished tasks are done; a failed attempt with a stored retry waits out what is left of its delay", () => {
  const rows = [
    row("a", 1, { state: "succeeded", outputs: { k: "v" } }),
    row("flaky", 1, { state: "failed" }),
    row("flaky", 2, { state: "failed", finished_at: 1000 }),
    row("gave_up", 1, { state: "failed" }),
  ];
  const events = [event("task.retry_scheduled", 1000, { task_path: "flaky", attempt: 2, data: { delay_ms: 500, next_attempt: 3 } })];
  const point = resumePoint(rows, events, new Map(), 1200);
  assert.deepEqual([...point.done.keys()].sort(), ["a", "gave_up"], "no retry was scheduled for gave_up: it is done");
  assert.deepEqual([...point.retries], [["flaky", 300]]);
  assert.deepEqual([...point.attempts].sort(), [["a", 1], ["flaky", 2], ["gave_up", 1]]);
  assert.equal(point.stop, null);
});

test("running attempts carry what became of them; one that never reached a supervisor starts again with its number", () => {
  const rows = [row("watched", 1, { state: "running" }), row("unsent", 2, { state: "running" }), row("unknown", 1, { state: "running", pid: 42 })];
  const point = resumePoint(rows, [], new Map<string, Reattached>([["watched", adopted], ["unsent", { kind: "unsent" }]]), 0);
  assert.equal(point.running.get("watched")?.how, adopted);
  assert.equal(point.running.has("unsent"), false);
  assert.equal(point.attempts.get("unsent"), 1, "the controller's next attempt is 2 again");
  assert.deepEqual(point.running.get("unknown")?.how, { kind: "lost", reason: "its end was not seen", pid: 42 });
});

test("a stop stored before the engine died is carried on", () => {
  const point = resumePoint([], [event("run.stopping", 5, { data: { state: "canceled", reason: "canceled by local" } })], new Map(), 10);
  assert.deepEqual(point.stop, { state: "canceled", reason: "canceled by local" });
});
