import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { planOf, states } from "./fixtures.js";
import { nextSteps, nodeState, runOutcome, type NextSteps } from "../../src/plan/ready.js";
import { Readiness } from "../../src/plan/readiness.js";
import type { Plan, TaskState } from "../../src/plan/types.js";

const BACKUP = {
  dump: { run: "true" },
  compress: { needs: ["dump"], run: "true" },
  cleanup: { on_done: ["compress"], run: "true" },
  alert: { on_fail: ["dump", "compress"], run: "true" },
  checks: { needs: ["compress"], group: { size: { run: "true" }, ping: { run: "true" } } },
  shards: { repeat: 4, parallel: 2, run: "true" },
};

/** Asserts the stateless function's answer, and that the incremental one gives the same. */
function expectSteps(plan: Plan, given: Record<string, TaskState>, expected: NextSteps, options: { failFast?: boolean } = {}): void {
  assert.deepEqual(nextSteps(plan, states(given), options), expected, "nextSteps");
  assert.deepEqual(new Readiness(plan, { ...options, states: states(given) }).next(), expected, "Readiness");
}

describe("nextSteps", () => {
  const plan = planOf(BACKUP);

  test("at first: tasks without deps, within the array's parallel limit", () => {
    expectSteps(plan, {}, { start: ["dump", "shards[0]", "shards[1]"], skip: [] });
  });

  test("a running copy keeps its place; the caller's running tasks are not started again", () => {
    expectSteps(plan, { dump: "running", "shards[0]": "running" }, { start: ["shards[1]"], skip: [] });
    expectSteps(plan, { dump: "running", "shards[0]": "succeeded", "shards[1]": "running" }, { start: ["shards[2]"], skip: [] });
  });

  test("needs: runs after its dep passed", () => {
    expectSteps(plan, { dump: "succeeded", "shards[0]": "running", "shards[1]": "running" }, { start: ["compress"], skip: [] });
  });

  test("a group's needs hold back every task in it; a passed group lets on_fail handlers go", () => {
    const given: Record<string, TaskState> = { dump: "succeeded", compress: "succeeded", "shards[0]": "running", "shards[1]": "running" };
    expectSteps(plan, given, { start: ["cleanup", "checks/size", "checks/ping"], skip: [{ path: "alert", reason: "on_fail [dump, compress]: none failed" }] });
  });

  test("needs a failed task: skipped with the reason; the stateless function leaves the cascade for the next call", () => {
    const given: Record<string, TaskState> = { dump: "failed", "shards[0]": "running", "shards[1]": "running" };
    assert.deepEqual(nextSteps(plan, states(given)), { start: [], skip: [{ path: "compress", reason: "needs dump, which failed" }] });
    const after = { ...given, compress: "skipped" as const };
    assert.deepEqual(nextSteps(plan, states(after)), {
      start: ["cleanup", "alert"],
      skip: [
        { path: "checks/size", reason: "needs compress (inherited from checks), which was skipped" },
        { path: "checks/ping", reason: "needs compress (inherited from checks), which was skipped" },
      ],
    });
    // Readiness applies the cascade itself, in one call.
    assert.deepEqual(new Readiness(plan, { states: states(given) }).next(), {
      start: ["cleanup", "alert"],
      skip: [
        { path: "compress", reason: "needs dump, which failed" },
        { path: "checks/size", reason: "needs compress (inherited from checks), which was skipped" },
        { path: "checks/ping", reason: "needs compress (inherited from checks), which was skipped" },
      ],
    });
  });

  test("allow_failure: a failed or timed-out dep still passes", () => {
    const lenient = planOf({ ...BACKUP, dump: { run: "true", allow_failure: true } });
    for (const failure of ["failed", "timed_out", "interrupted"] as const) {
      expectSteps(lenient, { dump: failure, "shards[0]": "running", "shards[1]": "running" }, { start: ["compress"], skip: [] });
    }
  });

  test("on_fail reacts to timed_out and interrupted too; canceled is not a failure", () => {
    const p = planOf({ a: { run: "true" }, handler: { on_fail: ["a"], run: "true" } });
    expectSteps(p, { a: "timed_out" }, { start: ["handler"], skip: [] });
    expectSteps(p, { a: "interrupted" }, { start: ["handler"], skip: [] });
    expectSteps(p, { a: "canceled" }, { start: [], skip: [{ path: "handler", reason: "on_fail [a]: none failed" }] });
  });

  test("conditions are ANDed: on_fail with needs", () => {
    const p = planOf({ a: { run: "true" }, b: { run: "true" }, h: { on_fail: ["a"], needs: ["b"], run: "true" } });
    expectSteps(p, { a: "failed", b: "failed" }, { start: [], skip: [{ path: "h", reason: "needs b, which failed" }] });
    expectSteps(p, { a: "failed", b: "succeeded" }, { start: ["h"], skip: [] });
    expectSteps(p, { a: "running", b: "succeeded" }, { start: [], skip: [] });
  });

  test("inherited on_fail clauses are separate: each must hold", () => {
    const p = planOf({
      a: { run: "true" },
      b: { run: "true" },
      g: { on_fail: ["a"], group: { h: { on_fail: ["b"], run: "true" } } },
    });
    expectSteps(p, { a: "failed", b: "succeeded" }, { start: [], skip: [{ path: "g/h", reason: "on_fail [b]: none failed" }] });
    expectSteps(p, { a: "succeeded", b: "failed" }, { start: [], skip: [{ path: "g/h", reason: "on_fail [a] (inherited from g): none failed" }] });
    expectSteps(p, { a: "failed", b: "failed" }, { start: ["g/h"], skip: [] });
  });

  test("on_done runs whatever the result", () => {
    const p = planOf({ a: { run: "true" }, d: { on_done: ["a"], run: "true" } });
    for (const end of ["succeeded", "failed", "canceled", "skipped", "timed_out", "interrupted"] as const) {
      expectSteps(p, { a: end }, { start: ["d"], skip: [] });
    }
    expectSteps(p, { a: "running" }, { start: [], skip: [] });
  });

  test("a task needing a group waits for every task inside it", () => {
    const p = planOf({ g: { group: { x: { run: "true" }, y: { needs: ["x"], run: "true" } } }, after: { needs: ["g"], run: "true" } });
    expectSteps(p, { "g/x": "succeeded" }, { start: ["g/y"], skip: [] });
    expectSteps(p, { "g/x": "succeeded", "g/y": "running" }, { start: [], skip: [] });
    expectSteps(p, { "g/x": "succeeded", "g/y": "succeeded" }, { start: ["after"], skip: [] });
    expectSteps(p, { "g/x": "failed", "g/y": "skipped" }, { start: [], skip: [{ path: "after", reason: "needs g, which failed" }] });
  });

  test("fail_fast: after a failure pending tasks are skipped, handlers follow their conditions", () => {
    const given = states({ dump: "failed", "shards[0]": "running" });
    const skip = ["compress", "checks/size", "checks/ping", "shards[1]", "shards[2]", "shards[3]"].map((path) => ({ path, reason: "fail_fast: dump failed" }));
    assert.deepEqual(nextSteps(plan, given, { failFast: true }), { start: [], skip });
    const later = new Map([...given, ...skip.map(({ path }) => [path, "skipped"] as const)]);
    assert.deepEqual(nextSteps(plan, later, { failFast: true }), { start: ["cleanup", "alert"], skip: [] });
    // Readiness applies the skips itself and goes straight on to the handlers.
    assert.deepEqual(new Readiness(plan, { failFast: true, states: given }).next(), { start: ["cleanup", "alert"], skip });
  });

  test("fail_fast ignores failures that allow_failure excuses", () => {
    const lenient = planOf({ a: { run: "true", allow_failure: true }, b: { run: "true" }, c: { needs: ["b"], run: "true" } });
    expectSteps(lenient, { a: "failed", b: "running" }, { start: [], skip: [] }, { failFast: true });
  });

  test("parallel on an array of groups counts copies in progress, not tasks", () => {
    const p = planOf({ arr: { repeat: 3, parallel: 1, group: { a: { run: "true" }, b: { run: "true" }, c: { needs: ["a"], run: "true" } } } });
    expectSteps(p, {}, { start: ["arr[0]/a", "arr[0]/b"], skip: [] });
    expectSteps(p, { "arr[0]/a": "succeeded", "arr[0]/b": "running" }, { start: ["arr[0]/c"], skip: [] });
    expectSteps(p, { "arr[0]/a": "succeeded", "arr[0]/b": "succeeded", "arr[0]/c": "succeeded" }, { start: ["arr[1]/a", "arr[1]/b"], skip: [] });
  });

  test("nested parallel limits apply together", () => {
    const p = planOf({ o: { repeat: 2, parallel: 1, group: { i: { repeat: 3, parallel: 2, run: "true" } } } });
    expectSteps(p, {}, { start: ["o[0]/i[0]", "o[0]/i[1]"], skip: [] });
    expectSteps(p, { "o[0]/i[0]": "succeeded", "o[0]/i[1]": "running" }, { start: ["o[0]/i[2]"], skip: [] });
  });

  test("Readiness: max takes a prefix; update() moves things on; skips are reported once", () => {
    const readiness = new Readiness(plan);
    assert.deepEqual(readiness.next(2), { start: ["dump", "shards[0]"], skip: [] });
    readiness.update("dump", "running");
    readiness.update("dump", "failed");
    assert.deepEqual(readiness.next().skip.map((skip) => skip.path), ["compress", "checks/size", "checks/ping"]);
    assert.deepEqual(readiness.next().skip, []);
    readiness.update("compress", "skipped");
    assert.deepEqual(readiness.next().start, ["cleanup", "alert", "shards[0]", "shards[1]"]);
    assert.equal(readiness.stateOf("checks"), "skipped");
    assert.equal(readiness.outcome(), "running");
  });

  test("Readiness: a move back (a reset for retry) rebuilds the state", () => {
    const readiness = new Readiness(plan);
    readiness.update("dump", "failed");
    assert.equal(readiness.stateOf("compress"), "skipped");
    readiness.update("dump", "pending");
    readiness.update("compress", "pending");
    assert.equal(readiness.stateOf("compress"), "pending");
    assert.deepEqual(readiness.next().start, ["dump", "shards[0]", "shards[1]"]);
  });

  test("Readiness: 2,000 ready copies started two at a time, one put back for a retry, each start offered once, in plan order", () => {
    const copies = 2000;
    const readiness = new Readiness(planOf({ work: { repeat: copies, run: "true" } }));
    const started: string[] = [];
    for (let step = 0; step < copies; step++) {
      const { start } = readiness.next(2);
      assert.ok(start.length > 0, `something to start at step ${step}`);
      const path = start[0]!;
      started.push(path);
      readiness.update(path, "running");
      // The 100th start fails and is put back for its retry: it comes first again, and only once.
      if (step === 99) readiness.update(path, "pending");
      else readiness.update(path, "succeeded");
    }
    const expected = Array.from({ length: copies }, (_, index) => `work[${index}]`);
    assert.deepEqual(started, [...expected.slice(0, 100), "work[99]", ...expected.slice(100, copies - 1)]);
    assert.deepEqual(readiness.next(2).start, [`work[${copies - 1}]`]);
  });
});

describe("nodeState", () => {
  const plan = planOf({ g: { group: { a: { run: "true" }, b: { run: "true" } } }, arr: { repeat: 2, group: { x: { run: "true" } } } });
  const cases: [Record<string, TaskState>, TaskState][] = [
    [{}, "pending"],
    [{ "g/a": "running" }, "running"],
    [{ "g/a": "succeeded" }, "running"],
    [{ "g/a": "succeeded", "g/b": "skipped" }, "succeeded"],
    [{ "g/a": "skipped", "g/b": "skipped" }, "skipped"],
    [{ "g/a": "failed", "g/b": "canceled" }, "failed"],
    [{ "g/a": "timed_out", "g/b": "succeeded" }, "failed"],
    [{ "g/a": "interrupted", "g/b": "succeeded" }, "failed"],
    [{ "g/a": "canceled", "g/b": "succeeded" }, "canceled"],
  ];
  for (const [given, expected] of cases) {
    test(`group with ${JSON.stringify(given)} is ${expected}`, () => {
      assert.equal(nodeState(plan, states(given), "g"), expected);
      assert.equal(new Readiness(plan, { states: states(given) }).stateOf("g"), expected);
    });
  }

  test("an excused failure does not fail the group", () => {
    const lenient = planOf({ g: { group: { a: { run: "true", allow_failure: true }, b: { run: "true" } } } });
    assert.equal(nodeState(lenient, states({ "g/a": "failed", "g/b": "succeeded" }), "g"), "succeeded");
  });

  test("arrays derive from copies, copies from their tasks; leaves read the map", () => {
    const given = states({ "arr[0]/x": "succeeded", "arr[1]/x": "failed" });
    assert.equal(nodeState(plan, given, "arr[0]"), "succeeded");
    assert.equal(nodeState(plan, given, "arr[1]"), "failed");
    assert.equal(nodeState(plan, given, "arr"), "failed");
    assert.equal(nodeState(plan, given, "arr[1]/x"), "failed");
    assert.equal(nodeState(plan, given, "g/a"), "pending");
  });
});

describe("runOutcome", () => {
  const plan = planOf({ a: { run: "true" }, b: { run: "true", allow_failure: true }, h: { on_fail: ["a"], run: "true" } });
  const cases: [Record<string, TaskState>, ReturnType<typeof runOutcome>][] = [
    [{ a: "succeeded", b: "succeeded" }, "running"],
    [{ a: "succeeded", b: "succeeded", h: "skipped" }, "succeeded"],
    [{ a: "succeeded", b: "failed", h: "skipped" }, "succeeded"],
    [{ a: "failed", b: "succeeded", h: "succeeded" }, "failed"],
    [{ a: "timed_out", b: "canceled", h: "succeeded" }, "failed"],
    [{ a: "canceled", b: "succeeded", h: "skipped" }, "canceled"],
    [{ a: "skipped", b: "skipped", h: "skipped" }, "succeeded"],
  ];
  for (const [given, expected] of cases) {
    test(`${JSON.stringify(given)} → ${expected}`, () => {
      assert.equal(runOutcome(plan, states(given)), expected);
      // Readiness settles what follows (here: h skipped), so compare only when every leaf has ended.
      if (Object.keys(given).length === 3) assert.equal(new Readiness(plan, { states: states(given) }).outcome(), expected);
    });
  }
});
