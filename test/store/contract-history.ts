/**
 * Store contract: the reads of pages that show many runs at once — every
 * pipeline's newest runs, a pipeline's runs with their tasks, pipelines
 * without their whole definitions — the filters of run and audit lists, and
 * who paused a pipeline.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Store } from "../../src/store/port.js";
import type { Open } from "./contract.js";
import { aNamespace, anAudit, aPipeline, aRun, runCreated, taskChange } from "./fixtures.js";

async function pipelinesWithRuns(open: Open, t: Parameters<Open>[0]): Promise<Store> {
  const store = await open(t);
  await store.upsertNamespace(aNamespace("home"));
  for (const name of ["busy", "idle"]) {
    await store.upsertPipeline(aPipeline("home", name, { definition: { description: `the ${name} one`, triggers: [{ kind: "cron", cron: "0 3 * * *" }], tasks: {} } }));
  }
  for (let i = 0; i < 5; i++) {
    const run = aRun(`busy-${i}`, { namespace: "home", pipeline: "busy", created_at: 100 + i, started_at: 200 + i, finished_at: i === 4 ? null : 300 + i * 2, state: i === 4 ? "running" : "succeeded" });
    await store.createRun(run, runCreated(run));
  }
  // Runs of a pipeline that has no definition any more are not listed with the pipelines.
  const gone = aRun("gone-0", { namespace: "home", pipeline: "gone", created_at: 500 });
  await store.createRun(gone, runCreated(gone));
  return store;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function historyTests(open: Open): void {
  test("listRecentRuns: each defined pipeline's newest runs as the JSON the API gives, and its newest run, in one read", async (t) => {
    const store = await pipelinesWithRuns(open, t);
    const read = await store.listRecentRuns({ perPipeline: 3 });
    assert.deepEqual(read.map((entry) => [entry.namespace, entry.pipeline]), [["home", "busy"], ["home", "idle"]]);
    assert.deepEqual(JSON.parse(read[0]!.runs_json), [
      { id: "busy-4", state: "running", created_at: iso(104), duration_ms: null },
      { id: "busy-3", state: "succeeded", created_at: iso(103), duration_ms: 103 },
      { id: "busy-2", state: "succeeded", created_at: iso(102), duration_ms: 102 },
    ]);
    assert.deepEqual(read[0]!.last, { id: "busy-4", state: "running", finished_at: null });
    assert.deepEqual([read[1]!.runs_json, read[1]!.last], ["[]", null]);
    const one = await store.listRecentRuns({ perPipeline: 0, namespace: "home", pipeline: "busy" });
    assert.deepEqual(one.map((entry) => [entry.runs_json, entry.last?.id]), [["[]", "busy-4"]], "the newest run even when none is asked for");
    assert.deepEqual(JSON.parse((await store.listRecentRuns({ perPipeline: 10, pipeline: "busy" }))[0]!.runs_json).length, 5);
    assert.deepEqual(await store.listRecentRuns({ perPipeline: 1, namespace: "work" }), []);
  });

  test("listRecentRuns writes each time as Date#toISOString does", async (t) => {
    const store = await open(t);
    await store.upsertPipeline(aPipeline("home", "times"));
    const times = [0, 1, 999, 1_000, 951_782_400_123, 1_733_398_898_960, 4_102_444_799_999, ...Array.from({ length: 40 }, (_, i) => 1_600_000_000_000 + i * 7_919_777_777)];
    for (const [i, ms] of times.entries()) {
      const run = aRun(`t-${String(i).padStart(3, "0")}`, { namespace: "home", pipeline: "times", created_at: ms });
      await store.createRun(run, runCreated(run));
    }
    const [read] = await store.listRecentRuns({ perPipeline: 50, namespace: "home" });
    const written = (JSON.parse(read!.runs_json) as { created_at: string }[]).map((run) => run.created_at).sort();
    assert.deepEqual(written, times.map(iso).sort());
  });

  test("listRunHistory: a pipeline's runs newest first with every attempt of their tasks, paged by before", async (t) => {
    const store = await pipelinesWithRuns(open, t);
    await store.write([taskChange("busy-3", "a", "task.finished", { attempt: 1 }), taskChange("busy-3", "a", "task.finished", { attempt: 2 }), taskChange("busy-1", "b", "task.finished")]);
    const page = await store.listRunHistory({ namespace: "home", pipeline: "busy", limit: 3 });
    assert.deepEqual(page.runs.map((run) => [run.id, run.trigger_kind]), [["busy-4", "cron"], ["busy-3", "cron"], ["busy-2", "cron"]]);
    assert.deepEqual(page.tasks.map((task) => [task.run_id, task.path, task.attempt]).sort(), [["busy-3", "a", 1], ["busy-3", "a", 2]]);
    const older = await store.listRunHistory({ namespace: "home", pipeline: "busy", limit: 3, before: "busy-2" });
    assert.deepEqual(older.runs.map((run) => run.id), ["busy-1", "busy-0"]);
    assert.deepEqual(older.tasks.map((task) => task.path), ["b"]);
    assert.deepEqual(await store.listRunHistory({ namespace: "home", pipeline: "idle", limit: 3 }), { runs: [], tasks: [] });
  });

  test("listPipelineHeads: rows without definitions, with their description and triggers", async (t) => {
    const store = await pipelinesWithRuns(open, t);
    const heads = await store.listPipelineHeads("home");
    assert.deepEqual(heads.map((head) => [head.name, head.description, head.triggers]), [
      ["busy", "the busy one", [{ kind: "cron", cron: "0 3 * * *" }]],
      ["idle", "the idle one", [{ kind: "cron", cron: "0 3 * * *" }]],
    ]);
    assert.ok(heads.every((head) => !("definition" in head)));
    await store.upsertPipeline(aPipeline("home", "bare"));
    assert.deepEqual((await store.listPipelineHeads()).find((head) => head.name === "bare")!.triggers, [], "a definition without triggers has none");
  });

  test("setPipelinePaused keeps who paused it, when and why, and forgets them on resume", async (t) => {
    const store = await pipelinesWithRuns(open, t);
    assert.equal(await store.setPipelinePaused("home", "busy", true, { at: 42, by: "jane", reason: "maintenance" }), true);
    const paused = (await store.getPipeline("home", "busy"))!;
    assert.deepEqual([paused.paused, paused.paused_at, paused.paused_by, paused.paused_reason], [true, 42, "jane", "maintenance"]);
    assert.equal((await store.listPipelineHeads("home")).find((head) => head.name === "busy")!.paused_by, "jane");
    await store.setPipelinePaused("home", "busy", false, { at: 43, by: "jane", reason: null });
    const resumed = (await store.getPipeline("home", "busy"))!;
    assert.deepEqual([resumed.paused, resumed.paused_at, resumed.paused_by, resumed.paused_reason], [false, undefined, undefined, undefined]);
  });

  test("listRuns filters by several states, trigger kinds and a creation time range", async (t) => {
    const store = await open(t);
    for (let i = 0; i < 6; i++) {
      const run = aRun(`r${i}`, { created_at: 10 * i, state: i % 2 === 0 ? "failed" : "succeeded", trigger: { kind: i < 3 ? "manual" : "webhook" } });
      await store.createRun(run, runCreated(run));
    }
    const ids = async (query: Parameters<Store["listRuns"]>[0]) => (await store.listRuns(query)).map((run) => run.id);
    assert.deepEqual(await ids({ limit: 10, states: ["failed", "canceled"] }), ["r4", "r2", "r0"]);
    assert.deepEqual(await ids({ limit: 10, triggerKinds: ["webhook"] }), ["r5", "r4", "r3"]);
    assert.deepEqual(await ids({ limit: 10, createdFrom: 20, createdBefore: 40 }), ["r3", "r2"]);
    assert.deepEqual(await ids({ limit: 1, states: ["failed"], triggerKinds: ["manual", "webhook"], before: "r4" }), ["r2"]);
  });

  test("listAudit filters by actor, action (or a family), target and time", async (t) => {
    const store = await open(t);
    const entries = [
      await store.appendAudit(anAudit("apply", { actor: "jane", target: "home", ts: 1 })),
      await store.appendAudit(anAudit("run.start", { actor: "ci", target: "home/busy", ts: 2 })),
      await store.appendAudit(anAudit("run.cancel", { actor: "jane", target: "r1", ts: 3 })),
      await store.appendAudit(anAudit("runaway", { actor: "jane", target: "home/busy", ts: 4 })),
    ];
    const seqs = async (query: Parameters<Store["listAudit"]>[0]) => (await store.listAudit(query)).map((entry) => entry.seq);
    const [apply, start, cancel, runaway] = entries.map((entry) => entry.seq);
    assert.deepEqual(await seqs({ limit: 10, actor: "jane" }), [runaway, cancel, apply]);
    assert.deepEqual(await seqs({ limit: 10, actions: ["run.*"] }), [cancel, start], "run.* is not runaway");
    assert.deepEqual(await seqs({ limit: 10, actions: ["apply", "run.start"] }), [start, apply]);
    assert.deepEqual(await seqs({ limit: 10, target: "home/busy", since: 3 }), [runaway]);
    assert.deepEqual(await seqs({ limit: 10, until: 3, actor: "jane" }), [apply]);
    assert.deepEqual(await seqs({ limit: 1, actor: "jane", before: runaway! }), [cancel]);
  });
}
