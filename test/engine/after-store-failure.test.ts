/**
 * `after` followers whose making failed on the store (the database not
 * answering for a moment) stay pending; an engine that keeps running makes
 * them on its own, without a restart, once. A read of the pending ones that
 * fails meanwhile is a warning, and the next read goes on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, type EngineLogger } from "../../src/engine/engine.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { markStoreUnavailable } from "../../src/store/errors.js";
import { makeTempDir } from "../helpers/tmp.js";
import { until } from "../helpers/poll.js";
import { admin, runsOf } from "./trigger-harness.js";

function unavailable(): Error {
  const error = new Error("connection terminated unexpectedly");
  markStoreUnavailable(error);
  return error;
}

test("after: a follower whose making failed on the store is made later by the running engine, once; a failed read of the pending ones is a warning", async (t) => {
  // Removed last (not by tempDir's hook, which runs before those added after it): the engine writes there until drained.
  const { dir, remove } = makeTempDir();
  const store = openSqliteStore(join(dir, "spire.db"));
  await store.init();
  let followerMakings = 0;
  let pendingReads = 0;
  const warnings: string[] = [];
  const logger: EngineLogger = { info() {}, error() {}, warn: (_details, message) => warnings.push(message ?? "") };
  const executor = new LocalExecutor();
  const engine = new Engine({
    store: {
      ...store,
      // The first making of a follower fails, as does the first look for pending ones after the engine's start.
      createFollowerRun: (...args) => (++followerMakings === 1 ? Promise.reject(unavailable()) : store.createFollowerRun(...args)),
      listPendingFollowers: () => (++pendingReads === 2 ? Promise.reject(unavailable()) : store.listPendingFollowers()),
    },
    executor,
    dataDir: dir,
    parallelism: 4,
    defaultZone: "UTC",
    logger,
  });
  t.after(async () => {
    await engine.drain(5_000);
    await executor.shutdown();
    await store.close();
    remove();
  });
  const text = 'pipelines:\n  up:\n    tasks:\n      t: { exec: ["true"] }\n  down:\n    triggers: [{ after: { pipeline: up } }]\n    tasks:\n      t: { exec: ["true"] }\n';
  await engine.apply(admin, { text, namespace: "ns", prune: true, dryRun: false });
  await engine.startScheduler();
  const up = await engine.startRun(admin, "ns", "up", { args: {} });

  await until(() => followerMakings === 1, "the engine to try making down's run");
  assert.equal((await store.listPendingFollowers()).length, 1, "up's followers stay pending");
  // A look every 10 s: the first fails, the second makes the run.
  await until(() => warnings.some((message) => message.includes("still to be made could not be read")), `the failed read to be a warning: ${JSON.stringify(warnings)}`, 15_000);
  await until(async () => (await store.listPendingFollowers()).length === 0, "up's followers to be made and settled", 15_000);
  const downs = await runsOf(store, "ns", "down");
  assert.equal(downs.length, 1, "one run of down");
  assert.equal(downs[0]!.trigger.of, up.id);
});
