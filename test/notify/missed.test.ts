/** `on: [missed]`: slots of a time trigger that did not run, as the scheduler records them, reach the pipeline's entries. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { toMissedObject } from "../../src/engine/triggers/missed-object.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { startApi } from "../api/harness.js";
import { listen } from "./helpers.js";

checkNoLeftoverProcesses();

test("ten minutes down under catchup: none: one notification with the missed record, only to the entry that asked", async (t) => {
  const api = await startApi(t);
  const hook = await listen(t);
  // As if the trigger had been applied ten minutes ago and the engine had been down since (before apply, which anchors it at now).
  await api.store.ensureSchedule("test", "minute", "0:cron", Date.now() - 10 * 60_000);
  await api.apply(`
pipelines:
  minute:
    catchup: none
    triggers: [{ cron: "* * * * *" }]
    notify: [{ on: [missed], webhook: "${hook.url}" }, { on: [failure], webhook: "${hook.url}" }]
    tasks:
      one: { run: "true" }
`);
  await api.engine.startScheduler();
  await until(() => hook.received.length > 0, "the missed notification");
  await api.notifier.idle();

  assert.equal(hook.received.length, 1);
  const { body } = hook.received[0]!;
  const [record] = await api.store.listMissed({ namespace: "test", pipeline: "minute", limit: 10 });
  assert.equal(body.event, "missed");
  assert.equal(body.run, null);
  assert.deepEqual(body.missed, JSON.parse(JSON.stringify(toMissedObject(record!))), "the record as GET /pipelines/{ns}/{name}/missed shows it");
  assert.match(body.text, /^test\/minute missed (9|10) slots \(\S+ … \S+\) of trigger 0:cron on \S+: .*catchup: none/);
});
