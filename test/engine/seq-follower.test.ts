/**
 * The engine-wide stream's reader of every engine's rows (SeqFollower):
 * a subscriber hears the rows stored from when it subscribed on, never
 * older ones. A read still under way when the last subscriber left, and a
 * new one came, answered with rows from before the newcomer: they reached
 * it, and the stream went on from there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { EventRow, Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { EveryEngineEvents } from "../../src/engine/reads/every-engine-events.js";
import { aRun, runCreated } from "../store/fixtures.js";
import { tempDir } from "../helpers/tmp.js";

test("a read under way when the last subscriber leaves hands nothing of its rows to the next one, which hears only what is stored after it came", async (t) => {
  const store = openSqliteStore(join(tempDir(t), "spire.db"));
  await store.init();
  t.after(() => store.close());
  let made = 0;
  const stored = async () => {
    const run = aRun(`r${++made}`);
    await store.createRun(run, runCreated(run));
  };
  await stored();
  // The first read after a row is stored is held until let go.
  let heldStarted!: () => void;
  const holding = new Promise<void>((resolve) => (heldStarted = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let hold = false;
  const slow: Pick<Store, "listEventsSince" | "latestEventSeq"> = {
    latestEventSeq: () => store.latestEventSeq(),
    listEventsSince: async (afterSeq, limit) => {
      const rows = await store.listEventsSince(afterSeq, limit);
      if (hold && rows.length > 0) {
        hold = false;
        heldStarted();
        await released;
      }
      return rows;
    },
  };
  const follower = new EveryEngineEvents(slow, (error) => assert.fail(error));
  // Its timers do not hold a process up (an engine's open streams do): this test's wait must.
  const keepAlive = setInterval(() => {}, 1_000);
  t.after(() => clearInterval(keepAlive));

  const first = follower.subscribe(() => {});
  await first.ready;
  hold = true;
  await stored(); // r2: read by the first subscriber's poll, and held
  await holding;
  first.stop();
  await stored(); // r3: before the second subscriber too
  const heard: string[] = [];
  const second = follower.subscribe((row: EventRow) => heard.push(row.run_id));
  t.after(() => second.stop());
  await second.ready;
  release();
  await stored(); // r4: the one row stored since it subscribed
  const deadline = Date.now() + 5_000;
  while (!heard.includes("r4")) {
    assert.ok(Date.now() < deadline, `r4 not heard within 5 s; heard ${JSON.stringify(heard)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(heard, ["r4"], "only what was stored after it subscribed");
});
