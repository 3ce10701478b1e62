/**
 * Time triggers through the real engine (real store, real processes):
 * exactly one run per slot, nothing early, catch-up after downtime by
 * backdating the schedule's anchor (as if the engine had been down).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Store } from "../../src/store/port.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { admin, engineWith, finishedRuns, slotOf } from "./scheduler-harness.js";

checkNoLeftoverProcesses();

test("every: 100ms starts one run per slot, never before its slot", async (t) => {
  const { engine, store } = await engineWith(t, `pipelines:\n  tick:\n    triggers: [{ every: 100ms }]\n    concurrency: 5\n    tasks:\n      t: { run: "true" }\n`);
  await finishedRuns(engine, 8);
  await engine.drain(5_000);
  const runs = await store.listRuns({ pipeline: "tick", limit: 100 });
  const slots = runs.map((run) => Date.parse(String(run.trigger.scheduled_at))).sort((a, b) => a - b);
  assert.ok(slots.length >= 8);
  assert.equal(new Set(slots).size, slots.length, "no slot ran twice");
  for (const slot of slots) assert.equal((slot - slots[0]!) % 100, 0, "slots are the interval apart (counted from the trigger's anchor)");
  for (const run of runs) assert.ok(run.created_at >= Date.parse(String(run.trigger.scheduled_at)), "no run was made before its slot");
});

test("100 triggers due at one instant are claimed in several transactions: each slot of each runs once, none is lost", async (t) => {
  const pipelines = Array.from({ length: 100 }, (_, index) => `  p${index}:\n    triggers: [{ every: 200ms, align: true }]\n    tasks: {}\n`).join("");
  const { engine, store } = await engineWith(t, `pipelines:\n${pipelines}`);
  await finishedRuns(engine, 500);
  await engine.drain(5_000);
  const runs = await store.listRuns({ namespace: "s", limit: 10_000 });
  const byKey = new Map<string, number>();
  const pipelinesBySlot = new Map<number, Set<string>>();
  for (const run of runs) {
    const key = `${run.pipeline}@${slotOf(run)}`;
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    pipelinesBySlot.set(slotOf(run), (pipelinesBySlot.get(slotOf(run)) ?? new Set()).add(run.pipeline));
  }
  assert.deepEqual([...byKey].filter(([, count]) => count > 1), [], "no slot ran twice");
  // Every slot ran for all of them, but the last: on a busy machine the drain can come between two looks at
  // it (a pipeline is looked at for its next slot once its claim for the one before is stored). A pipeline
  // left out of it has not claimed it, so the next start still runs or records it: nothing is lost.
  const slots = [...pipelinesBySlot.keys()].sort((a, b) => a - b);
  const last = slots.at(-1)!;
  for (const slot of slots.slice(0, -1)) assert.equal(pipelinesBySlot.get(slot)!.size, 100, `slot ${new Date(slot).toISOString()} ran for ${pipelinesBySlot.get(slot)!.size} of the 100 pipelines`);
  const claimedLast = new Map((await store.listSchedules("s")).map((schedule) => [schedule.pipeline, schedule.last_slot ?? 0]));
  for (let index = 0; index < 100; index++) {
    const name = `p${index}`;
    if (!pipelinesBySlot.get(last)!.has(name)) assert.ok(claimedLast.get(name)! < last, `${name} did not run the last slot, and has not claimed it either`);
  }
  assert.ok(slots.length >= 5);
});

const everyMinute = (catchup: string) => `pipelines:\n  minute:\n    catchup: ${catchup}\n    catchup_limit: 3\n    triggers: [{ cron: "* * * * *" }]\n    tasks:\n      t: { run: "true" }\n`;
/** As if the trigger had been applied ten minutes ago and the engine had been down since. */
const tenMinutesDown = async (store: Store) => {
  await store.ensureSchedule("s", "minute", "0:cron", Date.now() - 10 * 60_000);
};

test("catch-up latest after downtime: one run, for the last missed slot", async (t) => {
  const { engine, store } = await engineWith(t, everyMinute("latest"), tenMinutesDown);
  await finishedRuns(engine, 1);
  const runs = await store.listRuns({ pipeline: "minute", limit: 100 });
  assert.equal(runs.length, 1);
  const lastMinute = Math.floor(Date.now() / 60_000) * 60_000;
  assert.ok([lastMinute, lastMinute - 60_000].includes(Date.parse(String(runs[0]!.trigger.scheduled_at))), "the newest missed slot");
  const [schedule] = await store.listSchedules("s");
  assert.ok(schedule!.last_slot! >= lastMinute - 60_000);
});

test("catch-up all is capped by catchup_limit; a restart adds nothing", async (t) => {
  const { engine, store } = await engineWith(t, everyMinute("all"), tenMinutesDown);
  await finishedRuns(engine, 3);
  assert.equal((await store.listRuns({ pipeline: "minute", limit: 100 })).length, 3);
  // What a restart does: read the triggers again and look for due slots.
  await engine.startScheduler();
  await engine.apply(admin, { text: everyMinute("all"), namespace: "s", prune: false, dryRun: false });
  const runs = await store.listRuns({ pipeline: "minute", limit: 100 });
  assert.ok(runs.length <= 4, `no second catch-up (a new minute may have begun: ${runs.length})`);
});

test("catch-up none after downtime: no run for the missed slots", async (t) => {
  const { engine, store } = await engineWith(t, everyMinute("none"), tenMinutesDown);
  // The scheduler has looked once the schedule's last slot has moved past the missed ones.
  const deadline = Date.now() + 5_000;
  while (((await store.listSchedules("s"))[0]?.last_slot ?? 0) < Date.now() - 120_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const lastSlot = (await store.listSchedules("s"))[0]!.last_slot!;
  assert.ok(lastSlot >= Math.floor(Date.now() / 60_000) * 60_000 - 60_000, "the missed slots were recorded as handled");
  const runs = await store.listRuns({ pipeline: "minute", limit: 100 });
  assert.ok(runs.every((run) => Date.parse(String(run.trigger.scheduled_at)) > Date.now() - 2_000), "only an on-time slot may run, never a missed one");
  void engine;
});

test("a catch-up claim refused for its oldest slots only (another engine took them): the slots after those still run", async (t) => {
  let raced: number | undefined;
  const { engine, store } = await engineWith(t, everyMinute("all"), async (store) => {
    await tenMinutesDown(store);
    const claimSlots = store.claimSlots.bind(store);
    // Another engine claims the first of the runs' slots (with the missed ones before it) just before this one asks.
    store.claimSlots = async (claims, at) => {
      const claim = claims[0];
      if (raced === undefined && claim && claim.runs.length >= 3 && claim.missed) {
        raced = claim.runs[0]!.slot;
        const { missed } = claim;
        const [taken] = await claimSlots([{ ...claim, runs: [], missed: { ...missed, count: missed.count + 1, last_slot: raced, slots: [...missed.slots, raced] } }], at);
        assert.equal(taken!.claimed, true);
      }
      return claimSlots(claims, at);
    };
  });
  const bothRan = finishedRuns(engine, 2);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([bothRan, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("the slots after the other engine's were never run")), 10_000)))]).finally(() => clearTimeout(timer));
  assert.ok(raced !== undefined, "the catch-up claim was raced");
  const slots = (await store.listRuns({ pipeline: "minute", limit: 100 })).map(slotOf).sort((a, b) => a - b);
  assert.deepEqual(slots.slice(0, 2), [raced + 60_000, raced + 120_000], "the two slots after the taken one ran, once each");
  assert.equal(new Set(slots).size, slots.length);
});
