/** Store contract: trigger schedules, a slot starting at most one run, and `missed` records. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { MissedSlots, PipelineRow, RunRow, SlotClaim } from "../../src/store/port.js";
import type { Open } from "./contract.js";
import { aNamespace, aPipeline, aRun, runCreated } from "./fixtures.js";

/** The claim of slots of one trigger of ns/p: each run slot with a fresh run. */
function claimOf(triggerKey: string, runs: Array<[number, RunRow]>, missed?: MissedSlots, pipeline = "p"): SlotClaim {
  return { namespace: "ns", pipeline, trigger_key: triggerKey, runs: runs.map(([slot, run]) => ({ slot, run, event: runCreated(run) })), ...(missed ? { missed } : {}) };
}

const runOf = (id: string, pipeline = "p") => aRun(id, { namespace: "ns", pipeline });

const missedOf = (first: number, last: number, count: number, over: Partial<MissedSlots> = {}): MissedSlots => ({
  count,
  count_exact: true,
  first_slot: first,
  last_slot: last,
  slots: [first, last],
  reason: "catchup: latest",
  ...over,
});

export function scheduleTests(open: Open): void {
  test("listTriggersUnderway names each trigger with a run queued or running, once, and none of runs ended or started by hand", async (t) => {
    const store = await open(t);
    const made = async (id: string, state: RunRow["state"], trigger: RunRow["trigger"], pipeline = "backup") => {
      const run = aRun(id, { state, trigger, pipeline });
      await store.createRun(run, runCreated(run));
    };
    await made("r1", "running", { kind: "every", scheduled_at: "2026-01-01T03:00:00.000Z", trigger_key: "0:every" });
    await made("r2", "queued", { kind: "every", scheduled_at: "2026-01-01T03:01:00.000Z", trigger_key: "0:every" });
    await made("r3", "succeeded", { kind: "cron", scheduled_at: "2026-01-01T03:00:00.000Z", trigger_key: "1:cron" });
    await made("r4", "running", { kind: "manual", scheduled_at: null });
    await made("r5", "queued", { kind: "cron", scheduled_at: "2026-01-01T03:00:00.000Z", trigger_key: "0:cron" }, "report");
    const underway = (await store.listTriggersUnderway()).map((trigger) => `${trigger.namespace}/${trigger.pipeline}/${trigger.trigger_key}`).sort();
    assert.deepEqual(underway, ["home/backup/0:every", "home/report/0:cron"]);
  });

  test("an apply that changes a time trigger's timing starts its schedule again then; one that changes only its args does not; a removed pipeline's schedules go with it", async (t) => {
    const store = await open(t);
    const withTrigger = (trigger: Record<string, unknown>, at: number) =>
      aPipeline("ns", "p", { definition: { tasks: { a: { run: "true" } }, triggers: [{ kind: "cron", cron: "0 0 1 1 *", ...trigger }, { kind: "every", every: 60_000 }] }, updated_at: at });
    const apply = (row: PipelineRow) => store.applyNamespace({ namespace: aNamespace("ns"), upserts: [row], deletes: [] });
    await apply(withTrigger({}, 1_000));
    for (const key of ["0:cron", "1:every"]) await store.ensureSchedule("ns", "p", key, 1_000);
    await store.claimSlots([claimOf("0:cron", [[60_000, runOf("r1")]]), claimOf("1:every", [[61_000, runOf("r2")]])], 62_000);
    await apply(withTrigger({ args: { x: 1 } }, 70_000));
    assert.deepEqual((await store.listSchedules("ns")).map((row) => [row.trigger_key, row.anchor, row.last_slot]), [["0:cron", 1_000, 60_000], ["1:every", 1_000, 61_000]], "its args are not its timing");
    await apply(withTrigger({ cron: "*/2 * * * * *" }, 80_000));
    assert.deepEqual((await store.listSchedules("ns")).map((row) => [row.trigger_key, row.anchor, row.last_slot]), [["0:cron", 80_000, 80_000], ["1:every", 1_000, 61_000]], "the changed one starts at the apply, the other goes on");
    await store.applyNamespace({ namespace: aNamespace("ns"), upserts: [], deletes: ["p"] });
    assert.deepEqual(await store.listSchedules("ns"), []);
  });

  test("a schedule is created once, with the anchor of its first sighting", async (t) => {
    const store = await open(t);
    assert.deepEqual(await store.ensureSchedule("ns", "p", "0:cron", 1_000), { namespace: "ns", pipeline: "p", trigger_key: "0:cron", anchor: 1_000, last_slot: null });
    assert.deepEqual(await store.ensureSchedule("ns", "p", "0:cron", 9_000), { namespace: "ns", pipeline: "p", trigger_key: "0:cron", anchor: 1_000, last_slot: null });
    assert.deepEqual((await store.listSchedules("ns")).map((row) => row.trigger_key), ["0:cron"]);
  });

  test("claiming a slot creates its run and its stored event; the same slot (or an older one) is refused and writes nothing", async (t) => {
    const store = await open(t);
    await store.ensureSchedule("ns", "p", "0:cron", 0);
    const [first] = await store.claimSlots([claimOf("0:cron", [[60_000, runOf("r1")]])], 61_000);
    assert.equal(first!.claimed, true);
    assert.deepEqual(first!.events.map((event) => [event.run_id, event.type]), [["r1", "run.created"]]);
    assert.deepEqual(await store.listEvents("r1", 0, 10), first!.events, "the events handed back are the stored ones, with their seq");
    assert.deepEqual(await store.claimSlots([claimOf("0:cron", [[60_000, runOf("r2")]])], 61_500), [{ claimed: false, events: [], last_slot: 60_000 }], "a refusal says what it was refused against");
    assert.deepEqual(await store.claimSlots([claimOf("0:cron", [[30_000, runOf("r2")]])], 61_500), [{ claimed: false, events: [], last_slot: 60_000 }]);
    assert.equal(await store.getRun("r2"), undefined, "a refused claim creates no run");
    assert.ok(await store.getRun("r1"));
    assert.equal((await store.listSchedules())[0]!.last_slot, 60_000);
  });

  test("many triggers in one call: each is claimed or refused on its own, results in order", async (t) => {
    const store = await open(t);
    for (const name of ["a", "b", "c"]) await store.ensureSchedule("ns", name, "0:every", 0);
    await store.claimSlots([claimOf("0:every", [[5_000, runOf("b0", "b")]], undefined, "b")], 5_001);
    const results = await store.claimSlots(
      [claimOf("0:every", [[5_000, runOf("a1", "a")]], undefined, "a"), claimOf("0:every", [[5_000, runOf("b1", "b")]], undefined, "b"), claimOf("0:every", [[5_000, runOf("c1", "c")]], undefined, "c")],
      5_002,
    );
    assert.deepEqual(results.map((result) => result.claimed), [true, false, true]);
    assert.deepEqual(results.map((result) => result.events.map((event) => event.run_id)), [["a1"], [], ["c1"]]);
    assert.equal(await store.getRun("b1"), undefined);
    assert.deepEqual((await store.listSchedules("ns")).map((row) => row.last_slot), [5_000, 5_000, 5_000]);
  });

  test("a claim overlapping a stored one is refused whole, and says the newest slot stored: the slots after it are still free", async (t) => {
    const store = await open(t);
    await store.ensureSchedule("ns", "p", "0:every", 0);
    await store.claimSlots([claimOf("0:every", [[1_000, runOf("a1")], [2_000, runOf("a2")]])], 2_001);
    const [refused] = await store.claimSlots([claimOf("0:every", [[1_000, runOf("b1")], [2_000, runOf("b2")], [3_000, runOf("b3")], [4_000, runOf("b4")]])], 4_001);
    assert.deepEqual(refused, { claimed: false, events: [], last_slot: 2_000 });
    assert.equal(await store.getRun("b3"), undefined, "nothing of it is written");
    const [rest] = await store.claimSlots([claimOf("0:every", [[3_000, runOf("b3")], [4_000, runOf("b4")]])], 4_002);
    assert.equal(rest!.claimed, true, "the slots after the stored one are claimed by the next claim");
    assert.equal((await store.listSchedules("ns"))[0]!.last_slot, 4_000);
  });

  test("a claim made from a definition the store no longer holds (paused, changed, removed, its namespace applied again) is refused as changed and writes nothing", async (t) => {
    const store = await open(t);
    const pipeline = aPipeline("ns", "p", { definition: { tasks: { a: { run: "true" } }, triggers: [{ kind: "every", every: 1_000 }] }, digest: "d1" });
    await store.applyNamespace({ namespace: aNamespace("ns", { updated_at: 5_000 }), upserts: [pipeline], deletes: [] });
    await store.ensureSchedule("ns", "p", "0:every", 0);
    const seen = { digest: "d1", paused: false, namespaceUpdatedAt: 5_000 };
    const seenAs = (slot: number, id: string, madeFrom: SlotClaim["madeFrom"]) => store.claimSlots([{ ...claimOf("0:every", [[slot, runOf(id)]]), madeFrom }], slot + 1);
    assert.deepEqual((await seenAs(1_000, "s1", seen)).map((result) => result.claimed), [true], "as stored: claimed");
    assert.deepEqual(await seenAs(2_000, "s2", { ...seen, digest: "d0" }), [{ claimed: false, events: [], changed: true }], "another digest");
    assert.deepEqual(await seenAs(2_000, "s3", { ...seen, namespaceUpdatedAt: 4_000 }), [{ claimed: false, events: [], changed: true }], "the namespace applied again");
    await store.setPipelinePaused("ns", "p", true);
    assert.deepEqual(await seenAs(2_000, "s4", seen), [{ claimed: false, events: [], changed: true }], "paused since");
    assert.deepEqual(await seenAs(1_000, "s5", seen), [{ claimed: false, events: [], changed: true }], "a definition changed comes first, before a slot already claimed");
    for (const id of ["s2", "s3", "s4", "s5"]) assert.equal(await store.getRun(id), undefined, `${id}: nothing written`);
    assert.equal((await store.listSchedules("ns"))[0]!.last_slot, 1_000, "the slot is still free for a run of the stored definition");
    await store.setPipelinePaused("ns", "p", false);
    assert.deepEqual((await seenAs(2_000, "s6", seen)).map((result) => result.claimed), [true], "unpaused: claimed");
    assert.deepEqual((await seenAs(1_000, "s7", seen))[0], { claimed: false, events: [], last_slot: 2_000 }, "as stored, an older slot: refused as before, with the stored slot");
    await store.applyNamespace({ namespace: aNamespace("ns", { updated_at: 5_000 }), upserts: [], deletes: ["p"] });
    assert.deepEqual(await seenAs(3_000, "s8", seen), [{ claimed: false, events: [], changed: true }], "removed since");
  });

  test("a claim for a schedule that is gone is refused, without a stored slot", async (t) => {
    const store = await open(t);
    assert.deepEqual(await store.claimSlots([claimOf("0:every", [[1_000, runOf("g1")]], undefined, "gone")], 1_001), [{ claimed: false, events: [] }]);
  });

  test("missed slots become one record with the run after them, in one claim; last_slot moves to the newest", async (t) => {
    const store = await open(t);
    await store.ensureSchedule("ns", "p", "1:every", 0);
    const [result] = await store.claimSlots([claimOf("1:every", [[3_000, runOf("r3")]], missedOf(1_000, 2_000, 2))], 3_500);
    assert.equal(result!.claimed, true);
    assert.deepEqual(result!.missed, { seq: result!.missed!.seq, namespace: "ns", pipeline: "p", trigger_key: "1:every", detected_at: 3_500, run_id: "r3", ...missedOf(1_000, 2_000, 2) });
    assert.equal((await store.listSchedules("ns"))[0]!.last_slot, 3_000);
    assert.deepEqual(await store.listMissed({ namespace: "ns", pipeline: "p", limit: 10 }), [result!.missed]);
    assert.deepEqual(await store.listMissed({ run_id: "r3", limit: 10 }), [result!.missed], "found by the run that followed");
    assert.deepEqual(await store.claimSlots([claimOf("1:every", [], missedOf(2_500, 2_500, 1))], 4_000), [{ claimed: false, events: [], last_slot: 3_000 }], "an old missed slot is refused too");
    assert.equal((await store.listMissed({ limit: 10 })).length, 1);
  });

  test("a month of one-second slots is one record, however many it counts", async (t) => {
    const store = await open(t);
    await store.ensureSchedule("ns", "p", "0:every", 0);
    const month = 30 * 86_400;
    const slots = Array.from({ length: 100 }, (_, index) => (month - 100 + index) * 1_000);
    const [result] = await store.claimSlots([claimOf("0:every", [], missedOf(1_000, month * 1_000, month, { slots, count_exact: true }))], month * 1_000 + 10);
    assert.equal(result!.missed!.count, month);
    assert.equal(result!.missed!.run_id, null, "nothing ran");
    assert.deepEqual((await store.listMissed({ namespace: "ns", limit: 10 }))[0]!.slots, slots);
    assert.equal((await store.listSchedules("ns"))[0]!.last_slot, month * 1_000);
  });

  test("missed records list newest first, by pipeline, with a cursor", async (t) => {
    const store = await open(t);
    for (const name of ["p", "q"]) await store.ensureSchedule("ns", name, "0:cron", 0);
    await store.claimSlots([claimOf("0:cron", [], missedOf(60_000, 60_000, 1))], 61_000);
    await store.claimSlots([claimOf("0:cron", [], missedOf(60_000, 120_000, 2), "q")], 121_000);
    await store.claimSlots([claimOf("0:cron", [], missedOf(120_000, 180_000, 2, { count_exact: false }))], 181_000);
    const mine = await store.listMissed({ namespace: "ns", pipeline: "p", limit: 10 });
    assert.deepEqual(mine.map((row) => [row.last_slot, row.count_exact]), [[180_000, false], [60_000, true]]);
    const page = await store.listMissed({ limit: 2 });
    assert.deepEqual(page.map((row) => [row.pipeline, row.last_slot]), [["p", 180_000], ["q", 120_000]]);
    assert.deepEqual((await store.listMissed({ limit: 2, before: page[1]!.seq })).map((row) => row.last_slot), [60_000]);
  });

  test("two stores racing for one slot: exactly one wins", async (t) => {
    const first = await open(t);
    const second = await open(t, first);
    await first.ensureSchedule("ns", "p", "0:cron", 0);
    const results = await Promise.all([first.claimSlots([claimOf("0:cron", [[5_000, runOf("a1")]])], 5_001), second.claimSlots([claimOf("0:cron", [[5_000, runOf("b1")]])], 5_001)]);
    assert.equal(results.filter(([result]) => result!.claimed).length, 1);
    assert.equal(await first.countRuns({ namespace: "ns", pipeline: "p", states: ["queued"] }), 1);
  });
}
