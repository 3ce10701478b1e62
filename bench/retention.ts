/**
 * Retention on a long history: how fast a sweep removes old runs (rows,
 * events, slots' references, folders), and how long a write of a running
 * run waits meanwhile (the sweep deletes in batches so that it never holds
 * the write lock for long). Run it after building:
 *   npm run build && node dist/bench/retention.js [runs]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../src/store/port.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { Retention } from "../src/engine/runs/retention.js";
import { aRun, anEvent, runCreated, taskChange } from "../test/store/fixtures.js";
import { percentile, saveResult } from "./lib.js";

const runs = Number(process.argv[2] ?? 5000);
const TASKS = 5;
const dir = mkdtempSync(join(tmpdir(), "spire-bench-retention-"));

try {
  const store = openSqliteStore(join(dir, "spire.db"));
  await store.init();
  const made = Date.now();
  await history(store, runs);
  console.log(`history: ${runs} finished runs × ${TASKS} tasks (${runs * (2 + 2 * TASKS)} events, a slot each, a folder each) in ${Date.now() - made} ms`);

  // A running run writes all along, as the engine would while the sweep goes on.
  const live = aRun("live", { state: "running", pipeline: "other" });
  await store.createRun(live, runCreated(live));
  const waits: number[] = [];
  let sweeping = true;
  const writer = (async () => {
    for (let i = 0; sweeping; i++) {
      const started = performance.now();
      await store.write([taskChange("live", `t${i % 50}`, "task.finished", { attempt: 1 + Math.floor(i / 50), state: "succeeded" })]);
      waits.push(performance.now() - started);
      // About what a busy engine writes: a few hundred state changes a second.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();

  const retention = new Retention({ store, dataDir: dir, defaults: { keep: 1, days: null } });
  const started = performance.now();
  const report = await retention.sweep({ dryRun: false });
  const sweepMs = performance.now() - started;
  sweeping = false;
  await writer;
  waits.sort((a, b) => a - b);
  const result = {
    runs_removed: report.removed,
    sweep_ms: Math.round(sweepMs),
    runs_per_second: Math.round(report.removed / (sweepMs / 1000)),
    concurrent_writes: waits.length,
    write_wait_p50_ms: Number(percentile(waits, 50).toFixed(2)),
    write_wait_p99_ms: Number(percentile(waits, 99).toFixed(2)),
    write_wait_max_ms: Number(waits.at(-1)!.toFixed(2)),
  };
  console.log(`sweep: removed ${report.removed} runs in ${result.sweep_ms} ms (${result.runs_per_second} runs/s)`);
  console.log(`a running run's writes meanwhile: ${waits.length}, p50 ${result.write_wait_p50_ms} ms, p99 ${result.write_wait_p99_ms} ms, max ${result.write_wait_max_ms} ms`);
  console.log(`saved ${saveResult("retention", result)}`);
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Finished runs of one scheduled pipeline, each with its slot, task rows, events and a folder with a log and an artifact. */
async function history(store: Store, count: number): Promise<void> {
  await store.ensureSchedule("home", "backup", "0:every", 0);
  for (let index = 0; index < count; index++) {
    const id = `r${String(index).padStart(8, "0")}`;
    const run = aRun(id, { created_at: index * 1000, state: "running" });
    await store.claimSlots([{ namespace: "home", pipeline: "backup", trigger_key: "0:every", runs: [{ slot: index * 1000, run, event: runCreated(run) }] }], index * 1000);
    const tasks = Array.from({ length: TASKS }, (_, task) => taskChange(id, `task-${task}`, "task.finished", { state: "succeeded" }));
    await store.write([...tasks, { event: anEvent(id, "run.finished"), run: { id, state: "succeeded", finished_at: index * 1000 + 500 } }]);
    const folder = join(dir, "runs", id);
    mkdirSync(join(folder, "tasks", "task-0"), { recursive: true });
    mkdirSync(join(folder, "artifacts", "task-0"), { recursive: true });
    writeFileSync(join(folder, "tasks", "task-0", "1.log"), "1700000000000 o hello\n".repeat(50));
    writeFileSync(join(folder, "artifacts", "task-0", "out.txt"), "artifact\n");
  }
}
