/**
 * Slots that did not run (SPEC §2 catchup): one `missed` record per trigger
 * per look, published on the engine's event bus, listed by
 * GET /pipelines/{ns}/{name}/missed and shown by `spire show` on the run the
 * same catch-up started. Downtime is made by backdating the schedule's anchor.
 */
import { clock } from "../../src/cli/render/format.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PipelineEvent } from "../../src/engine/event-bus.js";
import type { Store } from "../../src/store/port.js";
import { startApi } from "../api/harness.js";
import { spire } from "../helpers/cli.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { engineWith, finishedRuns, slotOf } from "./scheduler-harness.js";

checkNoLeftoverProcesses();

const MINUTE = 60_000;
const everyMinute = (catchup: string) => `pipelines:\n  minute:\n    catchup: ${catchup}\n    triggers: [{ cron: "* * * * *" }]\n    tasks:\n      t: { run: "true" }\n`;
const downSince = (ago: number, pipeline = "minute", key = "0:cron") => async (store: Store) => {
  await store.ensureSchedule("s", pipeline, key, Date.now() - ago);
};

test("catchup: none after ten minutes down: one missed record for the ten slots, published on the bus", async (t) => {
  const anchor = Date.now() - 10 * MINUTE;
  let published: Extract<PipelineEvent, { kind: "missed" }> | undefined;
  const { store } = await engineWith(t, everyMinute("none"), async (store, engine) => {
    await store.ensureSchedule("s", "minute", "0:cron", anchor);
    engine.subscribePipelines((event) => {
    if (event.kind === "missed") published ??= event;
  });
  });
  await until(() => published !== undefined, "the missed event", 5_000);
  const records = await store.listMissed({ namespace: "s", pipeline: "minute", limit: 10 });
  assert.deepEqual(records, [published!.missed], "one record, not one per slot; the one published");
  const [record] = records;
  assert.equal(record!.first_slot, Math.ceil((anchor + 1) / MINUTE) * MINUTE);
  // Nine when the newest minute began less than a second ago: under catchup none that one is on time and runs.
  assert.ok(record!.count === 10 || record!.count === 9, `the ten minutes, got ${record!.count}`);
  assert.equal(record!.count_exact, true);
  assert.deepEqual(record!.slots, Array.from({ length: record!.count }, (_, index) => record!.first_slot + index * MINUTE));
  assert.equal(record!.last_slot, record!.slots[record!.slots.length - 1]);
  // The ten missed: no run follows them. Nine: the newest minute ran on time, and the record names that run.
  if (record!.count === 10) assert.equal(record!.run_id, null);
  else assert.equal(typeof record!.run_id, "string", "the on-time slot's run");
  assert.match(record!.reason, /catchup: none/);
});

test("catchup: latest runs the newest slot; the record names that run and spire show tells", async (t) => {
  const { engine, store, dir } = await engineWith(t, everyMinute("latest"), downSince(10 * MINUTE));
  await finishedRuns(engine, 1);
  const [run] = await store.listRuns({ pipeline: "minute", limit: 10 });
  const [record] = await store.listMissed({ run_id: run!.id, limit: 10 });
  assert.ok(record, "the record points at the run that followed");
  assert.ok(record.last_slot < slotOf(run!), "the missed slots are older than the one that ran");
  assert.match(record.reason, /catchup: latest runs only the newest/);
  const shown = await spire(["show", run!.id], { data: dir });
  assert.equal(shown.code, 0, shown.stderr);
  // Human output gives times in this machine's zone, as the test process (same environment) reads it.
  const when = (ms: number) => clock(ms).replace(/[+]/g, "\\+");
  assert.match(shown.stdout, new RegExp(`missed before this run: ${record.count} slots \\(${when(record.first_slot)} … ${when(record.last_slot)}\\)`));
});

test("a month down with every: 1s is one record with the exact count and the newest 100 slots", async (t) => {
  const month = 30 * 86_400_000;
  const yaml = `pipelines:\n  second:\n    triggers: [{ every: 1s }]\n    tasks: {}\n`;
  const started = Date.now();
  const { engine, store } = await engineWith(t, yaml, downSince(month, "second", "0:every"));
  await finishedRuns(engine, 1);
  const records = await store.listMissed({ pipeline: "second", limit: 10 });
  assert.equal(records.length, 1);
  const [record] = records;
  // Slots are anchor + k·1s: about 2,592,000 of them, the newest of which ran.
  assert.ok(Math.abs(record!.count - month / 1_000) <= 2, `counted ${record!.count}`);
  assert.equal(record!.count_exact, true, "every is counted by arithmetic, not by walking");
  assert.equal(record!.slots.length, 100);
  assert.equal(record!.slots[99], record!.last_slot);
  assert.ok(Date.now() - started < 10_000, "counting a month did not walk it");
});

test("GET /pipelines/{ns}/{name}/missed: newest first with a cursor; 404 for an unknown pipeline; 400 for a bad limit", async (t) => {
  const api = await startApi(t);
  await api.apply(`pipelines:\n  nightly:\n    triggers: [{ cron: "0 3 * * *" }]\n    tasks: {}\n`, "home");
  await api.store.ensureSchedule("home", "nightly", "0:cron", 0);
  const day = 86_400_000;
  for (const [first, last, count] of [[3 * 3_600_000, 3 * 3_600_000 + day, 2], [3 * 3_600_000 + 5 * day, 3 * 3_600_000 + 6 * day, 2]] as const) {
    const [result] = await api.store.claimSlots([{ namespace: "home", pipeline: "nightly", trigger_key: "0:cron", runs: [], missed: { count, count_exact: true, first_slot: first, last_slot: last, slots: [first, last], reason: "catchup: none" } }], last + 1);
    assert.equal(result!.claimed, true);
  }
  const page = await api.call("GET", "/pipelines/home/nightly/missed?limit=1", { as: "read" });
  assert.equal(page.status, 200);
  const body = (await page.json()) as { missed: { first_slot: string; slots: string[]; count: number; trigger_key: string; run_id: string | null }[]; next_cursor: number };
  assert.deepEqual(body.missed.map((record) => [record.first_slot, record.count, record.trigger_key, record.run_id]), [[new Date(3 * 3_600_000 + 5 * day).toISOString(), 2, "0:cron", null]]);
  const rest = (await (await api.call("GET", `/pipelines/home/nightly/missed?before=${body.next_cursor}`, { as: "read" })).json()) as { missed: { slots: string[] }[]; next_cursor: number | null };
  assert.deepEqual(rest.missed.map((record) => record.slots), [[new Date(3 * 3_600_000).toISOString(), new Date(3 * 3_600_000 + day).toISOString()]]);
  assert.equal(rest.next_cursor, null);
  assert.equal((await api.call("GET", "/pipelines/home/nope/missed", { as: "read" })).status, 404);
  const bad = await api.call("GET", "/pipelines/home/nightly/missed?limit=0", { as: "read" });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(await bad.json()), /limit/);
});

test("resuming a paused pipeline records the slots of the pause as missed (reason: paused) and runs none of them late", async (t) => {
  const { engine, store } = await engineWith(t, everyMinute("latest"), downSince(10 * MINUTE), { startScheduler: false });
  // Paused before the scheduler ever looked: the ten minutes passed while it was paused.
  await engine.setPaused({ name: "test", scope: "admin" }, "s", "minute", true);
  await engine.startScheduler();
  let published: Extract<PipelineEvent, { kind: "missed" }> | undefined;
  engine.subscribePipelines((event) => {
    if (event.kind === "missed") published ??= event;
  });
  await engine.setPaused({ name: "test", scope: "admin" }, "s", "minute", false);
  const [record] = await store.listMissed({ namespace: "s", pipeline: "minute", limit: 10 });
  assert.ok(record, "a missed record");
  assert.equal(record.reason, "the pipeline was paused");
  assert.ok(record.count === 10 || record.count === 9, `the ten minutes, got ${record.count}`);
  assert.deepEqual(published?.missed, record, "published for notifications");
  // Catchup latest would have run the newest of them: nothing is run late after a pause. The next slot is a
  // minute away at most, so a short wait shows the scheduler took nothing from the pause.
  const next = (await engine.getPipeline("s", "minute")).next_fire_at;
  assert.ok(next !== null && Date.parse(next) > Date.now(), "the next fire time is ahead");
  await new Promise((resolve) => setTimeout(resolve, 300));
  const late = (await store.listRuns({ pipeline: "minute", limit: 10 })).filter((run) => slotOf(run) <= record.last_slot);
  assert.deepEqual(late, [], "no slot of the pause ran (a minute that begins during the wait may, on time)");
});
