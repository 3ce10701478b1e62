/** Store contract: applying a namespace in one transaction, and pausing. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NamespaceChange, PipelineRow, Store } from "../../src/store/port.js";
import type { Open } from "./contract.js";
import { aNamespace, anAudit, aPipeline } from "./fixtures.js";

/** home holds backup (paused) and old; work holds old too, which no home apply may touch. */
async function applied(open: Open, t: Parameters<Open>[0]): Promise<Store> {
  const store = await open(t);
  await store.upsertNamespace(aNamespace("home"));
  await store.upsertPipeline(aPipeline("home", "backup", { paused: true }));
  await store.upsertPipeline(aPipeline("home", "old"));
  await store.upsertPipeline(aPipeline("work", "old"));
  return store;
}

/** A second apply of home: backup changed, report new, old removed. */
function secondApply(over: Partial<NamespaceChange> = {}): NamespaceChange {
  return {
    namespace: aNamespace("home", { metadata: { team: "dev" }, created_at: 8_000, updated_at: 8_000 }),
    upserts: [
      aPipeline("home", "backup", { definition: { tasks: {} }, digest: "v2", paused: false, created_at: 8_000, updated_at: 8_000 }),
      aPipeline("home", "report", { paused: true, created_at: 8_000, updated_at: 8_000 }),
    ],
    deletes: ["old", "never-existed"],
    audit: anAudit("apply", { target: "home", details: { changed: ["backup"], created: ["report"], removed: ["old"] } }),
    ...over,
  };
}

async function snapshot(store: Store): Promise<unknown> {
  return {
    namespaces: await store.listNamespaces(),
    pipelines: await store.listPipelines(),
    audit: await store.listAudit({ limit: 100 }),
  };
}

export function applyTests(open: Open): void {
  test("a first apply creates the namespace, its pipelines and the audit entry", async (t) => {
    const store = await open(t);
    const change = secondApply({ deletes: [] });
    await store.applyNamespace(change);
    assert.deepEqual(await store.getNamespace("home"), change.namespace);
    assert.deepEqual(await store.listPipelines("home"), change.upserts);
    const [entry] = await store.listAudit({ limit: 10 });
    assert.deepEqual(entry, { ...change.audit, seq: entry?.seq });
  });

  test("a re-apply keeps created_at and paused, replaces definitions, deletes only in its namespace", async (t) => {
    const store = await applied(open, t);
    await store.applyNamespace(secondApply());
    assert.deepEqual(await store.getNamespace("home"), aNamespace("home", { metadata: { team: "dev" }, updated_at: 8_000 }));
    const expected: PipelineRow[] = [
      aPipeline("home", "backup", { definition: { tasks: {} }, digest: "v2", paused: true, updated_at: 8_000 }),
      aPipeline("home", "report", { paused: true, created_at: 8_000, updated_at: 8_000 }),
      aPipeline("work", "old"),
    ];
    assert.deepEqual(await store.listPipelines(), expected);
    assert.deepEqual((await store.listAudit({ limit: 10 })).map((entry) => entry.action), ["apply"]);
  });

  test("without an audit entry nothing is appended", async (t) => {
    const store = await applied(open, t);
    const { audit: _audit, ...change } = secondApply();
    await store.applyNamespace(change);
    assert.deepEqual(await store.listAudit({ limit: 10 }), []);
    assert.equal((await store.getPipeline("home", "report"))?.digest, "digest-home-report");
  });

  test("a pipeline the database refuses, in the middle, leaves nothing changed", async (t) => {
    const store = await applied(open, t);
    const before = await snapshot(store);
    const refused = aPipeline("home", "bad", { digest: null as unknown as string });
    const change = secondApply();
    await assert.rejects(store.applyNamespace({ ...change, upserts: [change.upserts[0]!, refused, change.upserts[1]!] }));
    assert.deepEqual(await snapshot(store), before);
  });

  test("an audit entry the database refuses, last, leaves nothing changed", async (t) => {
    const store = await applied(open, t);
    const before = await snapshot(store);
    await assert.rejects(store.applyNamespace(secondApply({ audit: anAudit("apply", { actor: null as unknown as string }) })));
    assert.deepEqual(await snapshot(store), before);
  });

  test("a pipeline of another namespace is refused, and nothing changes", async (t) => {
    const store = await applied(open, t);
    const before = await snapshot(store);
    const change = secondApply();
    await assert.rejects(store.applyNamespace({ ...change, upserts: [...change.upserts, aPipeline("work", "sneaky")] }), /work\/sneaky/);
    assert.deepEqual(await snapshot(store), before);
  });

  test("setPipelinePaused flips only the flag, and says whether the pipeline exists", async (t) => {
    const store = await applied(open, t);
    assert.equal(await store.setPipelinePaused("home", "backup", false), true);
    assert.deepEqual(await store.getPipeline("home", "backup"), aPipeline("home", "backup"));
    assert.equal(await store.setPipelinePaused("home", "old", true), true);
    assert.equal(await store.setPipelinePaused("home", "old", true), true);
    assert.deepEqual(await store.getPipeline("home", "old"), aPipeline("home", "old", { paused: true }));
    assert.equal((await store.getPipeline("work", "old"))?.paused, false);
    assert.equal(await store.setPipelinePaused("home", "ghost", true), false);
    assert.equal(await store.getPipeline("home", "ghost"), undefined);
  });
}
