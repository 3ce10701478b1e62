/** Store contract: what retention reads (expired runs per pipeline) and removes (whole runs). */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunState, Store } from "../../src/store/port.js";
import type { Open } from "./contract.js";
import { anEvent, aRun, runCreated, taskChange } from "./fixtures.js";

const ids = (runs: { id: string }[]) => runs.map((run) => run.id);

/** Runs of home/backup, created at 10, 20, …; finished ones finished 5 after they were created. */
async function history(store: Store, states: RunState[], over: { namespace?: string; pipeline?: string; prefix?: string } = {}): Promise<void> {
  for (const [index, state] of states.entries()) {
    const created = (index + 1) * 10;
    const finished = state === "queued" || state === "running" ? null : created + 5;
    const run = aRun(`${over.prefix ?? "r"}${index + 1}`, { state, created_at: created, finished_at: finished, namespace: over.namespace ?? "home", pipeline: over.pipeline ?? "backup" });
    await store.createRun(run, runCreated(run));
  }
}

export function retentionTests(open: Open): void {
  test("listExpiredRuns with keep: the finished runs beyond the newest `keep`, oldest first; unfinished runs never", async (t) => {
    const store = await open(t);
    await history(store, ["succeeded", "failed", "running", "canceled", "skipped", "interrupted", "queued", "succeeded"]);
    const query = { namespace: "home", pipeline: "backup", limit: 100 };
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, keep: 2 })), ["r1", "r2", "r4", "r5"]);
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, keep: 5 })), ["r1"]);
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, keep: 6 })), []);
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, keep: 2, limit: 2 })), ["r1", "r2"], "a limit keeps the oldest");
    assert.deepEqual(await store.listExpiredRuns({ ...query, keep: 5 }), [{ id: "r1", state: "succeeded", created_at: 10, finished_at: 15 }]);
    assert.deepEqual(await store.listExpiredRuns(query), [], "no limit given: nothing expires");
  });

  test("listExpiredRuns with finishedBefore: finished before that time, except the newest finished run; either limit expires a run", async (t) => {
    const store = await open(t);
    await history(store, ["succeeded", "failed", "succeeded", "running"]);
    const query = { namespace: "home", pipeline: "backup", limit: 100 };
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, finishedBefore: 26 })), ["r1", "r2"]);
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, finishedBefore: 25 })), ["r1"], "strictly before");
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, finishedBefore: 1_000 })), ["r1", "r2"], "the newest finished run (r3) stays however old");
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, finishedBefore: 16, keep: 2 })), ["r1"]);
    assert.deepEqual(ids(await store.listExpiredRuns({ ...query, finishedBefore: 0, keep: 1 })), ["r1", "r2"]);
  });

  test("listExpiredRuns looks at one pipeline of one namespace; listRunPipelines names every pipeline with runs", async (t) => {
    const store = await open(t);
    await history(store, ["succeeded", "succeeded"], { prefix: "a" });
    await history(store, ["succeeded", "succeeded"], { prefix: "b", namespace: "work" });
    await history(store, ["succeeded", "succeeded"], { prefix: "c", pipeline: "report" });
    assert.deepEqual(ids(await store.listExpiredRuns({ namespace: "work", pipeline: "backup", keep: 1, limit: 10 })), ["b1"]);
    assert.deepEqual(ids(await store.listExpiredRuns({ namespace: "home", pipeline: "report", keep: 1, limit: 10 })), ["c1"]);
    assert.deepEqual(await store.listExpiredRuns({ namespace: "nope", pipeline: "backup", keep: 1, limit: 10 }), []);
    assert.deepEqual(await store.listRunPipelines(), [
      { namespace: "home", pipeline: "backup" },
      { namespace: "home", pipeline: "report" },
      { namespace: "work", pipeline: "backup" },
    ]);
  });

  test("deleteRuns removes finished runs with their task runs and events, in one go; queued, running and unknown ids are left", async (t) => {
    const store = await open(t);
    await history(store, ["succeeded", "running", "failed", "queued"]);
    const messages = [{ level: "warning" as const, text: "kept with its run", ts: 11_500, stream: "stdout" as const }];
    for (const id of ["r1", "r2", "r3"]) await store.write([taskChange(id, "dump", "task.finished", { state: "succeeded", messages })]);
    const before = await store.listEventsSince(0, 100);
    assert.deepEqual(await store.deleteRuns(["r1", "r2", "r3", "r4", "nope"]), ["r1", "r3"]);
    assert.equal(await store.getRun("r1"), undefined);
    assert.equal(await store.getRun("r3"), undefined);
    assert.equal((await store.getRun("r2"))?.tasks.length, 1, "the running run keeps its task runs");
    assert.deepEqual((await store.getRun("r2"))?.tasks[0]?.messages, messages, "and their texts");
    assert.ok(await store.getRun("r4"));
    assert.deepEqual(await store.listEvents("r1", 0, 10), []);
    const after = await store.listEventsSince(0, 100);
    assert.deepEqual(after, before.filter((event) => event.run_id === "r2" || event.run_id === "r4"));
    assert.deepEqual(await store.knownRunIds(["r1", "r2", "r3", "r4", "nope"]), ["r2", "r4"]);
    assert.deepEqual(await store.deleteRuns([]), []);
  });

  test("a new event after a deletion gets a seq above every earlier one (a resuming reader skips nothing)", async (t) => {
    const store = await open(t);
    await history(store, ["succeeded", "succeeded"]);
    const newest = (await store.listEventsSince(0, 100)).at(-1)!.seq;
    await store.deleteRuns(["r2"]);
    const [stored] = await store.write([{ event: anEvent("r1", "run.note") }]);
    assert.ok(stored!.seq > newest, `${stored!.seq} > ${newest}`);
  });

  test("deleting a run that started from a trigger slot or follows missed slots keeps those records, without the run", async (t) => {
    const store = await open(t);
    await store.ensureSchedule("ns", "p", "0:every", 0);
    const run = aRun("s1", { namespace: "ns", pipeline: "p" });
    const missed = { count: 1, count_exact: true, first_slot: 500, last_slot: 500, slots: [500], reason: "catchup: latest" };
    await store.claimSlots([{ namespace: "ns", pipeline: "p", trigger_key: "0:every", runs: [{ slot: 1_000, run, event: runCreated(run) }], missed }], 1_001);
    await store.write([{ event: anEvent("s1", "run.finished"), run: { id: "s1", state: "succeeded", finished_at: 1_100 } }]);
    assert.deepEqual(await store.deleteRuns(["s1"]), ["s1"]);
    const [record] = await store.listMissed({ namespace: "ns", pipeline: "p", limit: 10 });
    assert.equal(record?.run_id, null);
    assert.deepEqual(await store.claimSlots([{ namespace: "ns", pipeline: "p", trigger_key: "0:every", runs: [{ slot: 1_000, run: aRun("s2", { namespace: "ns", pipeline: "p" }), event: runCreated(aRun("s2")) }] }], 1_200), [{ claimed: false, events: [], last_slot: 1_000 }], "its slot is still taken");
  });
}
