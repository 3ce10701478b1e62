/**
 * Runs are made from the definitions an engine remembers (no read of the
 * store per run), yet never from one that changed meanwhile: two engines on
 * one PostgreSQL schema, the second never told of the first's changes (no
 * NOTIFY between them), must still start runs of what the store holds.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../../src/engine/engine.js";
import { ServiceError } from "../../src/engine/service.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import type { PipelineDef } from "../../src/definitions/schema.js";
import type { Store } from "../../src/store/port.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { cleanSchema, POSTGRES_URL } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";

const admin = { name: "test", scope: "admin" as const };

const definitions = (marker: string) => `
pipelines:
  job:
    triggers:
      - webhook: true
    tasks:
      t:
        exec: ["true", "${marker}"]
`;

/** An engine on the schema; its store counts the pipeline reads it is asked for. */
async function engineOn(t: TestContext, schema: string): Promise<{ engine: Engine; pipelineReads: () => number }> {
  const store = openPostgresStore(POSTGRES_URL, { schema });
  await store.init();
  let reads = 0;
  const counted: Store = { ...store, getPipeline: (namespace, name) => (reads++, store.getPipeline(namespace, name)) };
  const executor = new LocalExecutor();
  const engine = new Engine({ store: counted, executor, dataDir: tempDir(t), parallelism: 2, defaultZone: "UTC" });
  t.after(async () => {
    await engine.drain(5_000);
    await executor.shutdown();
    await store.close();
  });
  return { engine, pipelineReads: () => reads };
}

const apply = (engine: Engine, marker: string) => engine.apply(admin, { text: definitions(marker), namespace: "ns", prune: true, dryRun: false });
const markerOf = (definition: unknown) => ((definition as PipelineDef).tasks.t!.exec ?? [])[1];

test("an engine starts runs of the stored definition, even one changed through another engine it was not told of", async (t) => {
  const schema = await cleanSchema(t);
  const first = await engineOn(t, schema);
  const second = await engineOn(t, schema);
  await apply(first.engine, "v1");

  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await second.engine.startRun(admin, "ns", "job", { args: {} }));
  assert.deepEqual(await Promise.all(runs.map(async (run) => markerOf(await second.engine.getRunDefinition(run.id)))), ["v1", "v1", "v1"]);
  assert.equal(second.pipelineReads(), 1, "the pipeline is read once, then remembered");

  await apply(first.engine, "v2");
  const afterChange = await second.engine.startRun(admin, "ns", "job", { args: {} });
  assert.equal(markerOf(await second.engine.getRunDefinition(afterChange.id)), "v2", "the run the store refused is made again from the new definition");
  assert.equal(second.pipelineReads(), 2);

  await first.engine.setPaused(admin, "ns", "job", true);
  await assert.rejects(second.engine.startHookRun("ns", "job", {}), (error: unknown) => error instanceof ServiceError && error.code === "conflict" && /paused/.test(error.message));
  // A person may still start a paused pipeline.
  assert.ok((await second.engine.startRun(admin, "ns", "job", { args: {} })).id);

  await first.engine.deletePipeline(admin, "ns", "job");
  await assert.rejects(second.engine.startRun(admin, "ns", "job", { args: {} }), (error: unknown) => error instanceof ServiceError && error.code === "not_found");
  // The runs refused left nothing behind, and the audit names each run made.
  const audited = (await second.engine.listAudit({ limit: 50 })).entries.filter((entry) => entry.action === "run.start");
  assert.equal(audited.length, 5);
});

test("the engine that applies a file makes its runs from the rows it wrote, without reading them back, until something changes them", async (t) => {
  const schema = await cleanSchema(t);
  const { engine, pipelineReads } = await engineOn(t, schema);
  await apply(engine, "v1");
  const first = await engine.startRun(admin, "ns", "job", { args: {} });
  assert.equal(markerOf(await engine.getRunDefinition(first.id)), "v1");
  assert.equal(pipelineReads(), 0, "the applied row is remembered as written");

  // Applied again unchanged: the row stands as stored, with the definition just checked.
  await apply(engine, "v1");
  await engine.startRun(admin, "ns", "job", { args: {} });
  assert.equal(pipelineReads(), 0);

  // A pause changes the row: the next run reads it again.
  await engine.setPaused(admin, "ns", "job", true);
  const before = pipelineReads();
  await engine.startRun(admin, "ns", "job", { args: {} });
  assert.equal(pipelineReads() - before, 1);
});
