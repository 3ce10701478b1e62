/**
 * The scheduler's refreshes run one at a time, in order. With several
 * engines they come often (each change through any engine, a lead change),
 * and a read that ended after a later one put older definitions in place: a
 * pipeline paused meanwhile fired again until the next refresh. Asks
 * while one waits to begin share it, so they never pile up behind a slow read.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Store } from "../../src/store/port.js";
import { Scheduler } from "../../src/engine/triggers/scheduler.js";
import { admin, engineWith, finishedRuns } from "./scheduler-harness.js";

test("a refresh whose read of the definitions ends after a later refresh's does not put the older definitions in place", async (t) => {
  const { engine, store } = await engineWith(t, `pipelines:\n  p:\n    triggers: [{ every: 1h }]\n    tasks:\n      t: { run: "true" }\n`, undefined, { startScheduler: false });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let reads = 0;
  // The first read is made at once, and its answer held back until the second refresh has been asked for.
  const slowFirst: Store = { ...store, listPipelines: async () => (++reads === 1 ? store.listPipelines().then(async (rows) => (await held, rows)) : store.listPipelines()) };
  const scheduler = new Scheduler({ store: slowFirst, now: Date.now, defaultZone: "UTC", prepare: async () => ({ error: "no runs in this test" }), missed() {}, definitionsChanged() {}, seen: async (row) => ({ digest: row.digest, namespaceUpdatedAt: null }), warn() {}, shared: false });

  const older = scheduler.refresh();
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(reads, 1, "the first refresh read the definitions with p unpaused");
  await engine.setPaused(admin, "s", "p", true);
  const newer = scheduler.refresh();
  // Asked again while that one waits to begin: it reads after both asks, so it serves both (asks never pile up).
  assert.equal(scheduler.refresh(), newer);
  release();
  await Promise.all([older, newer]);
  assert.deepEqual(scheduler.scheduledOf("s", "p"), [], "p is paused: no trigger of it is scheduled");
  assert.equal(reads, 2, "two reads for three asks");
  await scheduler.refresh();
  assert.equal(reads, 3, "an ask after those has a read of its own");
});

test("a pipeline paused in the store without this engine hearing of it (another engine's notice lost) starts no run: the claim is refused, and the engine reads the definitions again", async (t) => {
  const { engine, store } = await engineWith(t, `pipelines:\n  p:\n    triggers: [{ every: 1s }]\n    tasks:\n      t: { run: "true" }\n`);
  await finishedRuns(engine, 1);
  const scheduler = (engine as unknown as { scheduler: Scheduler }).scheduler;
  assert.equal(scheduler.scheduledOf("s", "p").length, 1);
  // Written to the store alone, as another engine sharing it would, and no word of it reaches this one.
  await store.setPipelinePaused("s", "p", true);
  const pausedAt = Date.now();
  const deadline = pausedAt + 10_000;
  while (scheduler.scheduledOf("s", "p").length > 0) {
    assert.ok(Date.now() < deadline, "10 s after p was paused in the store, this engine still schedules it");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const runs = await store.listRuns({ namespace: "s", pipeline: "p", limit: 100 });
  assert.deepEqual(runs.filter((run) => run.created_at >= pausedAt).map((run) => run.trigger.scheduled_at), [], "no run of p made once it was paused");
});

test("a slot whose run could not be made from a definition changed meanwhile (a notice not heard) is not recorded as missed: the claim is refused, and the stored definition runs it", async (t) => {
  // The run cannot be made as applied here: its env_file is not there.
  const { engine, store } = await engineWith(t, `pipelines:\n  p:\n    env_file: missing.env\n    triggers: [{ every: 1s }]\n    tasks:\n      t: { run: "true" }\n`);
  const firstMissed = new Promise<void>((resolve) => {
    const stop = engine.subscribePipelines((event) => event.kind === "missed" && (stop(), resolve()));
  });
  await firstMissed;
  // Fixed in the store alone, as another engine sharing it would, and no word of it reaches this one.
  const row = (await store.getPipeline("s", "p"))!;
  const { env_file: _unused, ...fixed } = row.definition as Record<string, unknown>;
  await store.applyNamespace({ namespace: (await store.getNamespace("s"))!, upserts: [{ ...row, definition: fixed, digest: `${row.digest}-fixed` }], deletes: [] });
  const ran = finishedRuns(engine, 1).then(() => "ran");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve("no run"), 8_000)));
  t.after(() => clearTimeout(timer));
  assert.equal(await Promise.race([ran, late]), "ran", "8 s after p was fixed in the store, its slots were still recorded as missed, not run");
});
