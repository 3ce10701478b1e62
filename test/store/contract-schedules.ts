/** Store contract: trigger schedules, and a slot starting at most one run. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Open } from "./contract.js";
import { aRun, runCreated } from "./fixtures.js";

export function scheduleTests(open: Open): void {
  test("a schedule is created once, with the anchor of its first sighting", async (t) => {
    const store = await open(t);
    assert.deepEqual(await store.ensureSchedule("ns", "p", "0:cron", 1_000), { namespace: "ns", pipeline: "p", trigger_key: "0:cron", anchor: 1_000, last_slot: null });
    assert.deepEqual(await store.ensureSchedule("ns", "p", "0:cron", 9_000), { namespace: "ns", pipeline: "p", trigger_key: "0:cron", anchor: 1_000, last_slot: null });
    assert.deepEqual((await store.listSchedules("ns")).map((row) => row.trigger_key), ["0:cron"]);
  });

  test("claiming a slot creates its run; the same slot (or an older one) is refused and writes nothing", async (t) => {
    const store = await open(t);
    await store.ensureSchedule("ns", "p", "0:cron", 0);
    const first = aRun("r1", { namespace: "ns", pipeline: "p" });
    assert.equal(await store.claimSlots("ns", "p", "0:cron", [{ slot: 60_000, outcome: "run", run: first, event: runCreated(first) }], 61_000), true);
    const again = aRun("r2", { namespace: "ns", pipeline: "p" });
    assert.equal(await store.claimSlots("ns", "p", "0:cron", [{ slot: 60_000, outcome: "run", run: again, event: runCreated(again) }], 61_500), false);
    assert.equal(await store.claimSlots("ns", "p", "0:cron", [{ slot: 30_000, outcome: "run", run: again, event: runCreated(again) }], 61_500), false);
    assert.equal(await store.getRun("r2"), undefined, "a refused claim creates no run");
    assert.ok(await store.getRun("r1"));
    assert.equal((await store.listSchedules())[0]!.last_slot, 60_000);
  });

  test("missed slots and the run after them go in together; last_slot moves to the newest", async (t) => {
    const store = await open(t);
    await store.ensureSchedule("ns", "p", "1:every", 0);
    const run = aRun("r3", { namespace: "ns", pipeline: "p" });
    const claimed = await store.claimSlots(
      "ns",
      "p",
      "1:every",
      [
        { slot: 1_000, outcome: "missed" },
        { slot: 2_000, outcome: "missed" },
        { slot: 3_000, outcome: "run", run, event: runCreated(run) },
      ],
      3_500,
    );
    assert.equal(claimed, true);
    assert.equal((await store.listSchedules("ns"))[0]!.last_slot, 3_000);
    assert.equal(await store.claimSlots("ns", "p", "1:every", [{ slot: 2_500, outcome: "missed" }], 4_000), false);
  });

  test("two stores racing for one slot: exactly one wins", async (t) => {
    const first = await open(t);
    const second = await open(t, first);
    await first.ensureSchedule("ns", "p", "0:cron", 0);
    const runs = [aRun("a1", { namespace: "ns", pipeline: "p" }), aRun("b1", { namespace: "ns", pipeline: "p" })];
    const results = await Promise.all([
      first.claimSlots("ns", "p", "0:cron", [{ slot: 5_000, outcome: "run", run: runs[0], event: runCreated(runs[0]!) }], 5_001),
      second.claimSlots("ns", "p", "0:cron", [{ slot: 5_000, outcome: "run", run: runs[1], event: runCreated(runs[1]!) }], 5_001),
    ]);
    assert.deepEqual(results.filter(Boolean).length, 1);
    assert.equal((await first.countRuns({ namespace: "ns", pipeline: "p", states: ["queued"] })) , 1);
  });
}
