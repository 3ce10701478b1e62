/**
 * Store contract: what createRun writes with a run (its audit entry) and what
 * it checks first (the definition the engine made it from), and writes of
 * several changes to the same rows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DefinitionChangedError, RunNotFoundError } from "../../src/store/errors.js";
import type { DefinitionSeen, Store } from "../../src/store/port.js";
import type { Open } from "./contract.js";
import { aNamespace, anAudit, anEvent, aPipeline, aRun, aTask, runCreated } from "./fixtures.js";

/** home/backup applied, as the engine saw it. */
async function applied(store: Store): Promise<DefinitionSeen> {
  await store.upsertNamespace(aNamespace("home", { updated_at: 7_000 }));
  await store.upsertPipeline(aPipeline("home", "backup", { digest: "d1" }));
  return { digest: "d1", namespaceUpdatedAt: 7_000 };
}

async function assertNothingOf(store: Store, id: string, { audits = 0 } = {}): Promise<void> {
  assert.equal(await store.getRun(id), undefined);
  assert.deepEqual(await store.listEvents(id, 0, 10), []);
  assert.equal((await store.listAudit({ limit: 10 })).length, audits);
}

export function creationTests(open: Open): void {
  test("createRun appends its audit entry with the run", async (t) => {
    const store = await open(t);
    const run = aRun("r1");
    const event = await store.createRun(run, runCreated(run), { audit: anAudit("run.start", { details: { run: "r1" } }) });
    assert.deepEqual(await store.listEvents("r1", 0, 10), [event]);
    const [entry] = await store.listAudit({ limit: 10 });
    assert.deepEqual(entry, { ...anAudit("run.start", { details: { run: "r1" } }), seq: entry!.seq });
    // A run that is not stored (its id is taken) leaves no audit entry either.
    await assert.rejects(store.createRun(run, runCreated(run), { audit: anAudit("run.start") }));
    assert.equal((await store.listAudit({ limit: 10 })).length, 1);
  });

  test("createRun stores the run while its definition is as seen, and nothing once it changed", async (t) => {
    const store = await open(t);
    const seen = await applied(store);
    const made = await store.createRun(aRun("r1"), runCreated(aRun("r1")), { madeFrom: seen, audit: anAudit("run.start") });
    assert.equal(made.run_id, "r1");
    // Paused is checked only when asked: a person may start a paused pipeline, a trigger may not.
    await store.setPipelinePaused("home", "backup", true, { at: 8_000, by: "jane", reason: null });
    await store.createRun(aRun("r2"), runCreated(aRun("r2")), { madeFrom: seen });
    await assert.rejects(store.createRun(aRun("r3"), runCreated(aRun("r3")), { madeFrom: { ...seen, paused: false } }), DefinitionChangedError);
    await store.createRun(aRun("r3"), runCreated(aRun("r3")), { madeFrom: { ...seen, paused: true } });

    const fresh = await open(t);
    const before = await applied(fresh);
    const refused = [
      { ...before, digest: "d0" },
      { ...before, namespaceUpdatedAt: 6_000 },
      { ...before, namespaceUpdatedAt: null },
    ];
    for (const madeFrom of refused) {
      await assert.rejects(fresh.createRun(aRun("x"), runCreated(aRun("x")), { madeFrom, audit: anAudit("run.start") }), (error: unknown) => {
        assert.ok(error instanceof DefinitionChangedError);
        assert.deepEqual([error.namespace, error.pipeline], ["home", "backup"]);
        return true;
      });
      await assertNothingOf(fresh, "x");
    }
    await fresh.deletePipeline("home", "backup");
    await assert.rejects(fresh.createRun(aRun("x"), runCreated(aRun("x")), { madeFrom: before }), DefinitionChangedError);
    await assertNothingOf(fresh, "x");
  });

  test("a pipeline without a namespace row is seen with namespaceUpdatedAt null", async (t) => {
    const store = await open(t);
    await store.upsertPipeline(aPipeline("home", "backup", { digest: "d1" }));
    await store.createRun(aRun("r1"), runCreated(aRun("r1")), { madeFrom: { digest: "d1", namespaceUpdatedAt: null } });
    assert.equal((await store.getRun("r1"))?.run.id, "r1");
  });

  test("createFollowerRun checks the definition and appends the audit entry as createRun does", async (t) => {
    const store = await open(t);
    const seen = await applied(store);
    await store.createRun(aRun("source"), runCreated(aRun("source")));
    const claim = { source_run: "source", namespace: "home", pipeline: "backup", trigger_key: "0:after" };
    await assert.rejects(store.createFollowerRun(claim, aRun("f1"), runCreated(aRun("f1")), { madeFrom: { ...seen, digest: "old" } }), DefinitionChangedError);
    assert.equal(await store.getRun("f1"), undefined);
    const made = await store.createFollowerRun(claim, aRun("f1"), runCreated(aRun("f1")), { madeFrom: seen, audit: anAudit("run.start", { actor: "after" }) });
    assert.equal(made?.run_id, "f1");
    assert.deepEqual((await store.listAudit({ limit: 10 })).map((entry) => entry.actor), ["after"]);
    assert.equal(await store.createFollowerRun(claim, aRun("f2"), runCreated(aRun("f2")), { madeFrom: seen, audit: anAudit("run.start") }), undefined);
    assert.equal((await store.listAudit({ limit: 10 })).length, 1, "a claim made already writes no audit entry");
    // Settled (all followers made), the claim still holds: an engine that read the run as pending before would make it again.
    await store.settleFollowers("source");
    assert.equal(await store.createFollowerRun(claim, aRun("f3"), runCreated(aRun("f3")), { madeFrom: seen }), undefined, "a settled run's claim makes nothing");
    assert.equal(await store.getRun("f3"), undefined);
  });

  test("several changes to one run and one attempt in one write end as if written one after another", async (t) => {
    const store = await open(t);
    await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    const messages = [{ level: "warning" as const, text: "slow", ts: 1, stream: "stdout" as const }];
    const stored = await store.write([
      { event: anEvent("r1", "run.started"), run: { id: "r1", state: "running", started_at: 500, reason: "why" } },
      { event: anEvent("r1", "task.started"), task: aTask("r1", "dump", { messages }) },
      { event: anEvent("r1", "task.finished"), task: aTask("r1", "dump", { state: "succeeded", pid: null }) },
      { event: anEvent("r1", "run.finished"), run: { id: "r1", state: "succeeded", reason: null, finished_at: 900 }, awaitsFollowers: true },
    ]);
    assert.deepEqual(stored.map((event) => event.type), ["run.started", "task.started", "task.finished", "run.finished"]);
    const read = await store.getRun("r1");
    assert.deepEqual(read?.run, { ...aRun("r1"), state: "succeeded", started_at: 500, reason: null, finished_at: 900 });
    assert.deepEqual(read?.tasks, [{ ...aTask("r1", "dump", { state: "succeeded", pid: null }), messages }]);
    assert.deepEqual((await store.listPendingFollowers()).map((run) => run.id), ["r1"]);
  });

  test("writes made without waiting are stored in the order made, each with its own outcome", async (t) => {
    const store = await open(t);
    for (const id of ["r1", "r2"]) await store.createRun(aRun(id), runCreated(aRun(id)));
    const outcomes = await Promise.allSettled([
      store.write([{ event: anEvent("r1", "run.started"), run: { id: "r1", state: "running" } }]),
      store.write([{ event: anEvent("r2", "task.started"), task: aTask("r2", "dump") }, { event: anEvent("r2", "x"), run: { id: "ghost", state: "failed" } }]),
      store.write([{ event: anEvent("r2", "run.started"), run: { id: "r2", state: "running" } }]),
      store.write([{ event: anEvent("r1", "task.started"), task: aTask("r1", "dump") }]),
    ]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    assert.ok((outcomes[1] as PromiseRejectedResult).reason instanceof RunNotFoundError);
    const seqs = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? outcome.value.map((event) => event.seq) : []));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "stored in the order made");
    assert.deepEqual((await store.getRun("r2"))?.tasks, [], "nothing of the failed write");
    assert.deepEqual((await store.listEvents("r2", 0, 10)).map((event) => event.type), ["run.created", "run.started"]);
    assert.equal((await store.getRun("r1"))?.tasks.length, 1);
  });

  test("runs made at once are each stored or refused on their own, with their audit entries", async (t) => {
    const store = await open(t);
    const seen = await applied(store);
    await store.createRun(aRun("r0"), runCreated(aRun("r0")));
    const outcomes = await Promise.allSettled([
      store.createRun(aRun("r1"), runCreated(aRun("r1")), { madeFrom: seen, audit: anAudit("run.start", { details: { n: 1 } }) }),
      store.createRun(aRun("stale"), runCreated(aRun("stale")), { madeFrom: { ...seen, digest: "d0" }, audit: anAudit("run.start", { details: { n: 2 } }) }),
      store.write([{ event: anEvent("r0", "run.started"), run: { id: "r0", state: "running" } }]),
      store.createRun(aRun("r2"), runCreated(aRun("r2")), { audit: anAudit("run.start", { details: { n: 3 } }) }),
    ]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    assert.ok((outcomes[1] as PromiseRejectedResult).reason instanceof DefinitionChangedError);
    const events = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value].flat() : []));
    assert.deepEqual(events.map((event) => [event.run_id, event.type]), [["r1", "run.created"], ["r0", "run.started"], ["r2", "run.created"]]);
    assert.deepEqual(events.map((event) => event.seq), events.map((event) => event.seq).sort((a, b) => a - b));
    for (const event of events) assert.deepEqual((await store.listEvents(event.run_id, event.seq - 1, 1))[0], event);
    await assertNothingOf(store, "stale", { audits: 2 });
    assert.deepEqual((await store.listAudit({ limit: 10 })).map((entry) => entry.details), [{ n: 3 }, { n: 1 }]);
  });
}
