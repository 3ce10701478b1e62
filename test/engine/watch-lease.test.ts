/**
 * Leases on `spire watch` pipelines through the real engine (real SQLite, real
 * processes), with a short term: one nobody renews is paused and its run
 * canceled, as Ctrl-C of its watcher would; renewals keep it firing; a
 * renewal after a lapse resumes it, a pause by hand stays; pipelines applied
 * normally are never leased; an engine started again knows who holds a lease.
 * The real `spire watch` killed with SIGKILL is in test/cli/watch.test.ts;
 * engines sharing PostgreSQL in test/cluster/watch-lease.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { ServiceError } from "../../src/engine/service.js";
import { dirname } from "node:path";
import { Engine } from "../../src/engine/engine.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { admin, quietFor, runsOf, triggerEngine } from "./trigger-harness.js";

checkNoLeftoverProcesses();

const LEASE_MS = 300;

/** What `spire watch` applies (metadata adhoc: watch, a trigger), and the same pipeline applied from a file as anyone would. */
const YAML = `pipelines:
  watched:
    metadata: { adhoc: watch }
    triggers: [{ every: 1h }]
    tasks:
      t: { exec: [sleep, "30"] }
  plain:
    triggers: [{ every: 1h }]
    tasks:
      t: { exec: [sleep, "30"] }
`;

async function leaseEngine(t: Parameters<typeof triggerEngine>[0]) {
  return triggerEngine(t, YAML, { engine: { watchLeaseMs: LEASE_MS } });
}

test("a watch pipeline nobody renews is paused after one term, its run canceled, and why recorded; one applied normally is never leased", async (t) => {
  const { engine, store, warnings } = await leaseEngine(t);
  const watchedRun = await engine.startRun(admin, "t", "watched", { args: {} });
  const plainRun = await engine.startRun(admin, "t", "plain", { args: {} });
  await until(async () => (await engine.getPipeline("t", "watched")).paused, "the watch pipeline paused by its lapsed lease", 5_000);

  const watched = await engine.getPipeline("t", "watched");
  assert.equal(watched.paused_reason, "its spire watch is gone: no lease renewal for 0.3s");
  assert.equal(watched.next_fire_at, null, "it fires no more");
  await until(async () => (await engine.getRun(watchedRun.id)).state === "canceled", "its run canceled");
  assert.match((await engine.getRun(watchedRun.id)).reason ?? "", /^canceled: its spire watch is gone/);
  assert.ok(warnings.some((w) => w.message.includes("its lease lapsed") && (w.details as { pipeline?: string }).pipeline === "t/watched"), "the engine log says why");
  const [audit] = (await engine.listAudit({ limit: 10 })).entries.filter((entry) => entry.action === "pipeline.pause");
  assert.equal(audit?.target, "t/watched");
  assert.match(String(audit?.details.reason), /spire watch is gone/);

  // Both terms would have begun together at start; give a lease on the plain one as long again to have lapsed.
  await quietFor(LEASE_MS);
  const plain = await engine.getPipeline("t", "plain");
  assert.equal(plain.paused, false, "a pipeline applied normally is never paused by a lease");
  assert.equal(plain.paused_reason, null);
  assert.equal((await engine.getRun(plainRun.id)).state, "running");
  assert.equal((await runsOf(store, "t", "watched")).length, 1);

  await assert.rejects(engine.renewWatchLease("t", "plain"), (error: ServiceError) => error.code === "conflict" && /not made by spire watch/.test(error.message));
  await assert.rejects(engine.renewWatchLease("t", "nope"), (error: ServiceError) => error.code === "not_found");
  await engine.cancelRun(admin, plainRun.id);
  await until(async () => (await engine.getRun(plainRun.id)).state === "canceled", "the plain run canceled (its process gone before the leak check)");
});

test("renewals keep it firing; a renewal after a lapse resumes it; a pause by hand stays paused", async (t) => {
  const { engine } = await leaseEngine(t);
  const first = await engine.renewWatchLease("t", "watched");
  assert.deepEqual({ paused: first.paused, resumed: first.resumed, lease_ms: first.lease_ms, renew_every_ms: first.renew_every_ms }, { paused: false, resumed: false, lease_ms: LEASE_MS, renew_every_ms: 100 });
  // Renewed as a watcher does, for several terms: no event says "not paused", so it is looked at after them.
  const renewing = setInterval(() => void engine.renewWatchLease("t", "watched"), first.renew_every_ms);
  try {
    await quietFor(LEASE_MS * 4);
    assert.equal((await engine.getPipeline("t", "watched")).paused, false, "renewed, it keeps firing");
  } finally {
    clearInterval(renewing);
  }
  await until(async () => (await engine.getPipeline("t", "watched")).paused, "paused once the renewals stop", 5_000);

  const back = await engine.renewWatchLease("t", "watched");
  assert.equal(back.resumed, true, "its watcher was stopped (Ctrl-Z) and is back (fg)");
  assert.equal(back.paused, false);
  const resumed = await engine.getPipeline("t", "watched");
  assert.equal(resumed.paused, false);
  assert.equal(resumed.paused_reason, null);

  await engine.setPaused(admin, "t", "watched", true);
  const byHand = await engine.renewWatchLease("t", "watched");
  assert.deepEqual({ paused: byHand.paused, resumed: byHand.resumed, expires_at: byHand.expires_at }, { paused: true, resumed: false, expires_at: null });
  assert.equal((await engine.getPipeline("t", "watched")).paused, true, "a pause by hand is not undone by a renewal");
});

test("a watcher's id holds the lease: another's renewal is refused while it renews; once it lapses, or is paused, another takes it", async (t) => {
  const { engine } = await leaseEngine(t);
  const first = await engine.renewWatchLease("t", "watched", "watcher-one");
  assert.equal(first.paused, false);
  const refusal = await engine.renewWatchLease("t", "watched", "watcher-two").then(
    () => assert.fail("a second watcher's renewal was taken"),
    (error: ServiceError) => error,
  );
  assert.equal(refusal.code, "conflict");
  assert.match(refusal.message, /^t\/watched is watched by another spire watch already \(its lease runs to \d{4}-\d\d-\d\dT[\d:.]+Z unless renewed\)$/);
  const details = refusal.details as { held: boolean; expires_at: string; hint: string };
  assert.equal(details.held, true);
  assert.ok(Date.parse(details.expires_at) - Date.now() <= LEASE_MS, "the first's term, not a new one");
  assert.match(details.hint, /^stop the other watch/);
  assert.equal((await engine.renewWatchLease("t", "watched", "watcher-one")).paused, false, "its own holder renews");
  assert.equal((await engine.renewWatchLease("t", "watched")).paused, false, "a renewal without an id (an older client) is neither refused nor takes it");
  await assert.rejects(engine.renewWatchLease("t", "watched", "watcher-two"), (error: ServiceError) => error.code === "conflict");

  // The first stops renewing (stopped with Ctrl-Z): its lease lapses and the pipeline is paused; the second takes it over.
  await until(async () => (await engine.getPipeline("t", "watched")).paused, "paused once the first's lease lapsed", 5_000);
  const takeover = await engine.renewWatchLease("t", "watched", "watcher-two");
  assert.equal(takeover.resumed, true);
  await assert.rejects(engine.renewWatchLease("t", "watched", "watcher-one"), (error: ServiceError) => error.code === "conflict" && (error.details as { held?: boolean }).held === true, "the first, back (fg), is refused");

  // A pause (the holder's Ctrl-C) ends its term: the next watcher takes the lease at once.
  await engine.setPaused(admin, "t", "watched", true);
  await engine.setPaused(admin, "t", "watched", false);
  assert.equal((await engine.renewWatchLease("t", "watched", "watcher-one")).paused, false);
  await engine.setPaused(admin, "t", "watched", true);
});

test("an engine started again on the same store knows who holds the lease: another watcher is still refused, the holder renews, and the term lasts a whole one from the start", async (t) => {
  const leaseMs = 2_000;
  const { engine, store, defs } = await triggerEngine(t, YAML, { engine: { watchLeaseMs: leaseMs } });
  await engine.renewWatchLease("t", "watched", "watcher-one");
  await engine.drain(0);
  // The same store and data folder, as `spire engine` started again after a stop.
  const executor = new LocalExecutor();
  const again = new Engine({ store, executor, dataDir: dirname(defs), parallelism: 4, defaultZone: "UTC", watchLeaseMs: leaseMs });
  t.after(async () => {
    await again.drain(0);
    await executor.shutdown();
  });
  await again.startScheduler();
  await assert.rejects(again.renewWatchLease("t", "watched", "watcher-two"), (error: ServiceError) => error.code === "conflict" && (error.details as { held?: boolean }).held === true, "the holder from before the restart still holds it");
  const term = await store.watchLease("t", "watched");
  assert.ok(term !== undefined && term.leftMs > leaseMs - 500, `a whole term from the start: left ${term?.leftMs}`);
  assert.equal((await again.renewWatchLease("t", "watched", "watcher-one")).paused, false);
  assert.equal((await again.getPipeline("t", "watched")).paused, false);
});
