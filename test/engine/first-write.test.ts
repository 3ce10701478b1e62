/**
 * With engines sharing PostgreSQL, a new run is started before it is stored,
 * and its first write stores it (UnstoredRun). What can come between:
 * - its controller is there to be canceled while that write is on its way.
 *   A cancel then is kept: the run, stored without its start because its
 *   pipeline was busy, ends canceled instead of waiting and starting later;
 * - a start the creation's statement cannot hold is written after it, and
 *   may fail: the run, stored with its running place, is then started as a
 *   stored run, not left queued with no controller.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Engine, type EngineLogger } from "../../src/engine/engine.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import type { Store } from "../../src/store/port.js";
import type { SharedStore } from "../../src/store/shared-port.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { cleanSchema, POSTGRES_URL } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

const admin = { name: "test", scope: "admin" as const };

/**
 * A real engine on a fresh PostgreSQL schema, its store's parts replaced by
 * what `replace` returns (given the store), with `definitions` applied to
 * namespace ns; stopped after the test.
 */
async function engineOnPostgres(t: TestContext, definitions: string, replace: (store: Store) => Partial<Store>, logger?: EngineLogger): Promise<{ engine: Engine; store: Store }> {
  const store = openPostgresStore(POSTGRES_URL, { schema: await cleanSchema(t) });
  await store.init();
  const executor = new LocalExecutor();
  const engine = new Engine({ store: { ...store, ...replace(store) } as Store, executor, dataDir: tempDir(t), parallelism: 4, defaultZone: "UTC", ...(logger ? { logger } : {}) });
  t.after(async () => {
    await engine.drain(5_000);
    await executor.shutdown();
    await store.close();
  });
  await engine.apply(admin, { text: definitions, namespace: "ns", prune: true, dryRun: false });
  return { engine, store };
}

test("a run canceled while its first write is on its way, and stored without its start (its pipeline busy), ends canceled", async (t) => {
  // The next new run's first write waits here until let go: it is on its way while the cancel comes.
  let hold: { reached: () => void; gate: Promise<void> } | undefined;
  const { engine } = await engineOnPostgres(t, "pipelines:\n  job:\n    queue: { limit: 5 }\n    tasks:\n      t: { run: sleep 30 }\n", (store) => ({
    shared: {
      ...store.shared!,
      createPlacedRun: async (...args) => {
        const held = hold;
        hold = undefined;
        if (held) {
          held.reached();
          await held.gate;
        }
        return store.shared!.createPlacedRun(...args);
      },
    } satisfies SharedStore,
  }));
  const first = await engine.startRun(admin, "ns", "job", { args: {} });
  assert.equal(first.state, "running");

  let reached!: () => void;
  const onItsWay = new Promise<void>((resolve) => (reached = resolve));
  let letGo!: () => void;
  hold = { reached, gate: new Promise<void>((resolve) => (letGo = resolve)) };
  const second = engine.startRun(admin, "ns", "job", { args: {} });
  await onItsWay;
  // What a `spire watch` whose lease lapsed does: pause the pipeline, cancel what is under way (the first run, and the second's controller).
  await (engine as unknown as { pipelines: { watchLapsed(namespace: string, name: string, reason: string): Promise<void> } }).pipelines.watchLapsed("ns", "job", "the test's lease lapsed");
  letGo();
  const made = await second;
  await until(async () => (await engine.getRun(made.id)).state === "canceled", "the second run to end canceled", 10_000);
  await until(async () => (await engine.getRun(first.id)).state === "canceled", "the first run to end canceled", 10_000);
  assert.deepEqual((await engine.getRun(made.id)).tasks.map((task) => task.state), ["canceled"], "its task never ran");
});

test("a new run whose start, written after its creation, fails once is started from its stored place and runs to its end", async (t) => {
  // The creation's statement holds no start here (as for a start it cannot hold), and the start's own write then fails once.
  let startWrites = 0;
  const warnings: string[] = [];
  const logger = { info: () => {}, error: () => {}, warn: (_details: object, message: string) => void warnings.push(message) };
  const { engine, store } = await engineOnPostgres(
    t,
    "pipelines:\n  job:\n    tasks:\n      t: { run: \"true\" }\n",
    (store) => ({
      shared: { ...store.shared!, createPlacedRun: (run, event, creation, concurrency) => store.shared!.createPlacedRun(run, event, creation, concurrency, []) },
      write: async (changes) => {
        if (changes.some((change) => change.event?.type === "run.started") && startWrites++ === 0) throw new Error("the test's store refused this write");
        return store.write(changes);
      },
    }),
    logger,
  );
  const made = await engine.startRun(admin, "ns", "job", { args: {} });
  await until(async () => (await engine.getRun(made.id)).state === "succeeded", "the run to succeed", 10_000);
  assert.equal(startWrites, 2, "its start was written again, once");
  assert.ok(warnings.includes("the new run's start could not be written with it: it is started again from its stored place"), warnings.join("; "));
  const events = (await store.listEvents(made.id, 0, 20)).map((event) => event.type);
  assert.deepEqual(events.filter((type) => type === "run.created" || type === "run.started"), ["run.created", "run.started"], events.join(" "));
});
