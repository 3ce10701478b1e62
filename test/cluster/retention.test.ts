/**
 * Retention among engines sharing one PostgreSQL: a run one engine removes
 * is gone from every engine's answers at once. Another engine used to serve
 * it from its cache of finished runs (GET /runs/{id}) until pushed out.
 * Without the notice (lost), an engine still finds out at its next look.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiGet, apiStartRun, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { cleanSchema, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import type { Store } from "../../src/store/port.js";
import { EventBus } from "../../src/engine/event-bus.js";
import { RunObjectCache } from "../../src/engine/reads/run-cache.js";
import { RemovedRuns } from "../../src/engine/reads/removed-runs.js";
import { toRunObject } from "../../src/engine/reads/run-object.js";
import { pipelineSchema } from "../../src/definitions/schema.js";
import { aRun, runCreated } from "../store/fixtures.js";
import { engineStarter } from "./shared-store.js";

checkNoLeftoverProcesses();

const headersOf = (engine: RunningEngine) => ({ authorization: `Bearer ${readFileSync(join(engine.data, "token"), "utf8").trim()}`, "content-type": "application/json" });
const runStatus = async (engine: RunningEngine, id: string) => (await fetch(`${engine.url}/api/v1/runs/${id}`, { headers: headersOf(engine) })).status;

/** The run, as `engine` answers GET /runs/{id}, once it has succeeded (its answer is then kept in its cache). */
async function succeededOn(engine: RunningEngine, id: string): Promise<void> {
  await until(async () => (await apiGet<{ state: string }>(engine, `/runs/${id}`)).state === "succeeded", `run ${id} to succeed`, 15_000);
}

test("a run removed by retention through one engine is not served by another from its cache", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-retention-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `namespace: r\npipelines:\n  kept:\n    retention: { keep: 1 }\n    tasks:\n      t: { run: "true" }\n`);
  const { start, said } = engineStarter(t, { dir, schema, file });
  const a = await start("a");
  const b = await start("b");

  const old = await apiStartRun(a, "r/kept");
  // B answers for it once it has finished: the answer B keeps.
  await succeededOn(b, old);
  await succeededOn(a, await apiStartRun(a, "r/kept"));
  const swept = await fetch(`${a.url}/api/v1/gc`, { method: "POST", headers: headersOf(a), body: "{}" });
  assert.equal(swept.status, 200);
  assert.deepEqual(((await swept.json()) as { runs: { id: string }[] }).runs.map((run) => run.id), [old], "A removed the older run");
  assert.equal(await runStatus(a, old), 404);

  await until(async () => (await runStatus(b, old)) === 404, "B to answer 404 for the removed run as A does", 5_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${said()}`);
  });
  const listed = await apiGet<{ runs: { id: string }[] }>(b, "/runs?pipeline=kept");
  assert.ok(!listed.runs.some((run) => run.id === old), "B does not list it");
  await stopEngine(a);
  await stopEngine(b);
});

test("without a notice of the removal (lost), the runs another engine removed leave the cache at the next look; those still stored stay", async (t) => {
  const schema = await cleanSchema(t);
  // This engine's store, and another engine's on the same schema.
  const [store, other] = ["engine-b", "engine-a"].map((owner) => openPostgresStore(POSTGRES_URL, { schema, owner })) as [Store, Store];
  t.after(() => Promise.all([store.close(), other.close()]));
  for (const opened of [store, other]) await opened.init();
  const cache = new RunObjectCache(new EventBus());
  for (const id of ["r1", "r2"]) {
    const run = aRun(id, { state: "succeeded", finished_at: 20_000, definition: pipelineSchema.parse({ tasks: { t: { run: "true" } } }) });
    await other.createRun(run, runCreated(run));
    await cache.get(id, async () => toRunObject((await store.getRun(id))!.run, (await store.getRun(id))!.tasks));
  }
  assert.deepEqual(cache.keptIds().sort(), ["r1", "r2"]);
  const failures: Error[] = [];
  const removedRuns = new RemovedRuns({ cache, store, failed: (error) => failures.push(error), pollMs: 50 });
  removedRuns.start();
  try {
    assert.deepEqual(await other.deleteRuns(["r1"]), ["r1"]);
    await until(() => cache.cached("r1") === undefined, "the removed run to leave the cache", 5_000);
    assert.ok(cache.cached("r2"), "the run still stored stays");
    assert.deepEqual(failures, []);
  } finally {
    removedRuns.stop();
  }
});
