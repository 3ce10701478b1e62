/**
 * A run is stored as queued before it is admitted. A read that fails in
 * between (the database not answering for a moment) must not leave it in no
 * queue, waiting in the store until the engine restarts: it goes on.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine } from "../../src/engine/engine.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { markStoreUnavailable } from "../../src/store/errors.js";
import { makeTempDir } from "../helpers/tmp.js";

const admin = { name: "test", scope: "admin" as const };

/** A SQLite store in a folder of its own, and an engine on `wrap(store)`: drained, then the store closed, then the folder removed, when the test ends. */
async function engineOn(t: TestContext, wrap: (store: Store) => Store): Promise<Engine> {
  // Removed last (not by tempDir's hook, which runs before those added after it): the engine writes there until drained.
  const { dir, remove } = makeTempDir();
  const store = openSqliteStore(join(dir, "spire.db"));
  const executor = new LocalExecutor();
  const engine = new Engine({ store: wrap(store), executor, dataDir: dir, parallelism: 4, defaultZone: "UTC" });
  t.after(async () => {
    await engine.drain(5_000);
    await executor.shutdown();
    await store.close();
    remove();
  });
  await store.init();
  return engine;
}

test("a run whose lock capacities cannot be read (the database not answering) still starts and ends, its locks counted strictly", async (t) => {
  let failReads = false;
  const engine = await engineOn(t, (store) => ({
    ...store,
    getNamespace: (name) => {
      // Only the read between storing the run and admitting it: the others fail the request as a whole (a 503, nothing stored).
      if (!failReads || !new Error().stack?.includes("lockCapacities")) return store.getNamespace(name);
      const error = new Error("connection terminated unexpectedly");
      markStoreUnavailable(error);
      return Promise.reject(error);
    },
  }));
  await engine.apply(admin, {
    text: "locks:\n  db: 2\npipelines:\n  job:\n    locks: [db]\n    tasks:\n      t: { exec: [\"true\"] }\n",
    namespace: "ns",
    prune: true,
    dryRun: false,
  });
  failReads = true;
  const first = await engine.startRun(admin, "ns", "job", { args: {} });
  const second = await engine.startRun(admin, "ns", "job", { args: {} });
  const ended = async (id: string) => {
    for (;;) {
      const run = await engine.getRun(id);
      if (!["queued", "running"].includes(run.state)) return run.state;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  assert.deepEqual(await Promise.all([ended(first.id), ended(second.id)]), ["succeeded", "succeeded"]);
  // Capacity 2 was never read: the lock counted as 1, so the second run waited for the first.
  const [a, b] = await Promise.all([engine.getRun(first.id), engine.getRun(second.id)]);
  assert.ok(Date.parse(a.finished_at!) <= Date.parse(b.started_at!), `${a.finished_at} <= ${b.started_at}`);
});

test("admissions that come while the lock capacities are read wait for that read, not one read each", async (t) => {
  let reads = 0;
  const engine = await engineOn(t, (store) => ({
    ...store,
    getNamespace: async (name) => {
      if (!new Error().stack?.includes("Capacities")) return store.getNamespace(name);
      reads++;
      // A read that takes a while, as over a network: the other admissions come meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return store.getNamespace(name);
    },
  }));
  await engine.apply(admin, { text: 'locks:\n  db: 3\npipelines:\n  job:\n    locks: [db]\n    tasks:\n      t: { exec: ["true"] }\n', namespace: "ns", prune: true, dryRun: false });
  const runs = await Promise.all(Array.from({ length: 5 }, () => engine.startRun(admin, "ns", "job", { args: {} })));
  assert.equal(reads, 1, "one read served the five admissions");
  assert.equal(new Set(runs.map((run) => run.id)).size, 5);
});
