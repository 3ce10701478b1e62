/** An in-process engine (real store, real processes) whose time triggers fire, for the scheduler tests. */
import type { TestContext } from "node:test";
import { join } from "node:path";
import { Engine } from "../../src/engine/engine.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { RunRow, Store } from "../../src/store/port.js";
import { tempDir } from "../helpers/tmp.js";

export const admin = { name: "test", scope: "admin" as const };

/** Applies `yaml` to namespace `s` (after `before`, which may backdate schedules or subscribe) and starts the scheduler. */
export async function engineWith(
  t: TestContext,
  yaml: string,
  before?: (store: Store, engine: Engine) => Promise<void>,
  options: { startScheduler?: boolean } = {},
): Promise<{ engine: Engine; store: Store; dir: string }> {
  const dir = tempDir(t);
  const store = openSqliteStore(join(dir, "spire.db"));
  await store.init();
  const executor = new LocalExecutor();
  const engine = new Engine({ store, executor, dataDir: dir, parallelism: 4, defaultZone: "UTC" });
  t.after(async () => {
    await engine.drain(0);
    await executor.shutdown();
    await store.close();
  });
  await before?.(store, engine);
  await engine.apply(admin, { text: yaml, namespace: "s", prune: false, dryRun: false });
  if (options.startScheduler ?? true) await engine.startScheduler();
  return { engine, store, dir };
}

/** Resolves when `count` runs have finished (awaits the engine's own events). */
export function finishedRuns(engine: Engine, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const stop = engine.subscribe(null, (event) => {
      if (event.kind === "event" && event.event.type === "run.finished" && ++seen === count) {
        stop();
        resolve();
      }
    });
  });
}

export const slotOf = (run: RunRow): number => Date.parse(String(run.trigger.scheduled_at));
