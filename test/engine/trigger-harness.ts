/**
 * A real engine (real SQLite, local executor) for event-trigger tests, with
 * its definitions applied as if from `<dir>/defs/spire.yaml`, so relative
 * paths in them are relative to `<dir>/defs`. Warnings it logs are kept.
 */
import type { TestContext } from "node:test";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { Engine, type EngineLogger, type EngineOptions } from "../../src/engine/engine.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { RunRow, Store } from "../../src/store/port.js";
import { tempDir } from "../helpers/tmp.js";

export const admin = { name: "test", scope: "admin" as const };

export interface TriggerEngine {
  engine: Engine;
  store: Store;
  /** The definitions file's folder. */
  defs: string;
  warnings: { message: string; details: object }[];
  apply(yaml: string, namespace?: string): Promise<void>;
}

/** `folders` (under the definitions' folder) are made before anything is watched; `engine` sets more engine options. */
export async function triggerEngine(t: TestContext, yaml: string, options: { namespace?: string; folders?: string[]; engine?: Partial<EngineOptions> } = {}): Promise<TriggerEngine> {
  const namespace = options.namespace ?? "t";
  const dir = tempDir(t, "spire-triggers-");
  const defs = join(dir, "defs");
  mkdirSync(defs);
  for (const folder of options.folders ?? []) mkdirSync(join(defs, folder), { recursive: true });
  const store = openSqliteStore(join(dir, "spire.db"));
  await store.init();
  const executor = new LocalExecutor();
  const warnings: TriggerEngine["warnings"] = [];
  const logger: EngineLogger = { info() {}, error() {}, warn: (details, message) => warnings.push({ message: message ?? "", details }) };
  const engine = new Engine({ store, executor, dataDir: dir, parallelism: 4, defaultZone: "UTC", logger, ...options.engine });
  t.after(async () => {
    await engine.drain(0);
    await executor.shutdown();
    await store.close();
  });
  const apply = async (text: string, ns = namespace) => {
    await engine.apply(admin, { text, namespace: ns, prune: true, dryRun: false, origin: { host: hostname(), path: join(defs, "spire.yaml") } });
  };
  await apply(yaml);
  await engine.startScheduler();
  return { engine, store, defs, warnings, apply };
}

const FINAL = new Set(["succeeded", "failed", "canceled", "skipped", "interrupted"]);

/** The finished runs of a pipeline once there are `count` of them (oldest first), or a timeout naming what was seen. */
export async function finishedRuns(store: Store, namespace: string, pipeline: string, count: number, withinMs = 10_000): Promise<RunRow[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const runs = (await store.listRuns({ namespace, pipeline, limit: 1000 })).filter((run) => FINAL.has(run.state)).reverse();
    if (runs.length >= count) return runs;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} finished runs of ${namespace}/${pipeline} (saw ${runs.length})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** All runs of a pipeline, oldest first. */
export async function runsOf(store: Store, namespace: string, pipeline: string): Promise<RunRow[]> {
  return (await store.listRuns({ namespace, pipeline, limit: 1000 })).reverse();
}

/**
 * For tests that prove nothing happens: there is no event to await, so wait a
 * bounded time, several times what the thing would take to happen.
 */
export function quietFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
