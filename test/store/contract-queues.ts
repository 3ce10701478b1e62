/** Store contract: what recovery and queues read (runs by state, counts, the global event stream). */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { EventRow, RunState } from "../../src/store/port.js";
import type { Open } from "./contract.js";
import { anEvent, aRun, runCreated, taskChange } from "./fixtures.js";

const ids = (runs: { id: string }[]) => runs.map((run) => run.id);

export function queueTests(open: Open): void {
  /** Runs in several states, inserted out of id order, four with the same time. */
  async function mixed(t: Parameters<Open>[0]) {
    const store = await open(t);
    const runs: Array<[string, RunState, number, string]> = [
      ["r-h", "running", 30, "report"],
      ["r-d", "queued", 30, "report"],
      ["r-a", "queued", 10, "backup"],
      ["r-e", "succeeded", 5, "backup"],
      ["r-c", "running", 30, "backup"],
      ["r-b", "running", 20, "report"],
      ["r-f", "failed", 40, "backup"],
      ["r-g", "queued", 30, "report"],
    ];
    for (const [id, state, created_at, pipeline] of runs) {
      const run = aRun(id, { state, created_at, pipeline, namespace: pipeline === "report" ? "work" : "home" });
      await store.createRun(run, runCreated(run));
    }
    return store;
  }

  test("listRunsInStates: oldest first, ties by id, only the states asked for", async (t) => {
    const store = await mixed(t);
    assert.deepEqual(ids(await store.listRunsInStates(["queued", "running"])), ["r-a", "r-b", "r-c", "r-d", "r-g", "r-h"]);
    assert.deepEqual(ids(await store.listRunsInStates(["failed"])), ["r-f"]);
    assert.deepEqual(await store.listRunsInStates(["interrupted"]), []);
    assert.deepEqual(await store.listRunsInStates([]), []);
    const [first] = await store.listRunsInStates(["queued"]);
    assert.deepEqual(first, aRun("r-a", { state: "queued", created_at: 10, pipeline: "backup" }));
  });

  test("listRunsInStates follows state changes made by write", async (t) => {
    const store = await mixed(t);
    await store.write([{ event: anEvent("r-a", "run.started"), run: { id: "r-a", state: "running" } }]);
    await store.write([{ event: anEvent("r-c", "run.finished"), run: { id: "r-c", state: "interrupted" } }]);
    assert.deepEqual(ids(await store.listRunsInStates(["running"])), ["r-a", "r-b", "r-h"]);
    assert.deepEqual(ids(await store.listRunsInStates(["interrupted"])), ["r-c"]);
  });

  test("countRuns by states, alone or with namespace and pipeline", async (t) => {
    const store = await mixed(t);
    assert.equal(await store.countRuns({ states: ["queued", "running"] }), 6);
    assert.equal(await store.countRuns({ namespace: "home", pipeline: "backup", states: ["queued", "running"] }), 2);
    assert.equal(await store.countRuns({ namespace: "home", pipeline: "backup", states: ["running"] }), 1);
    assert.equal(await store.countRuns({ pipeline: "report", states: ["queued"] }), 2);
    assert.equal(await store.countRuns({ namespace: "work", pipeline: "backup", states: ["queued", "running"] }), 0);
    assert.equal(await store.countRuns({ namespace: "home", states: ["succeeded", "failed"] }), 2);
    assert.equal(await store.countRuns({ states: [] }), 0);
  });

  test("listEventsSince: every run's events, oldest first, paged by seq", async (t) => {
    const store = await open(t);
    const stored: EventRow[] = [];
    for (const id of ["a", "b"]) stored.push(await store.createRun(aRun(id), runCreated(aRun(id))));
    stored.push(...(await store.write([taskChange("b", "x", "task.started"), taskChange("a", "y", "task.started")])));
    assert.deepEqual(await store.listEventsSince(0, 100), stored);
    assert.deepEqual(await store.listEventsSince(stored[0]!.seq, 2), stored.slice(1, 3));
    assert.deepEqual(await store.listEventsSince(stored.at(-1)!.seq, 10), []);
  });

  test("a follower of listEventsSince misses nothing while two stores write", async (t) => {
    const first = await open(t);
    const second = await open(t, first);
    const reader = await open(t, first);
    await first.createRun(aRun("a"), runCreated(aRun("a")));
    await second.createRun(aRun("b"), runCreated(aRun("b")));
    let done = false;
    const writers = Promise.all(
      [first, second].map(async (store, n) => {
        for (let i = 0; i < 100; i++) await store.write([taskChange(n === 0 ? "a" : "b", `t${i}`, "task.started")]);
      }),
    ).finally(() => (done = true));
    const seen: number[] = [];
    let after = 0;
    // Follows as a client would, resuming from the last seq; a last pass after the writers end.
    for (let last = false; !last; ) {
      last = done;
      const page = await reader.listEventsSince(after, 7);
      seen.push(...page.map((event) => event.seq));
      after = page.at(-1)?.seq ?? after;
      if (page.length === 7) last = false;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writers;
    const all = (await reader.listEventsSince(0, 1_000)).map((event) => event.seq);
    assert.equal(all.length, 202);
    assert.deepEqual(seen, all);
  });
}
