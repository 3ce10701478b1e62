/**
 * How long one store write takes, on a real file in a temp folder.
 * Not a test (timings vary by machine); run it after building:
 *   npm run build && node dist/bench/store-write.js [writes]
 * The engine makes ~3 writes per task (started, output, finished), each
 * [1 event + task row], so this cost times 3 is the store's share of a task.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StateChange, Store } from "../src/store/port.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { aRun, runCreated, taskChange } from "../test/store/fixtures.js";

const writes = Number(process.argv[2] ?? 10_000);
// Counts changes across all measurements, so no two write the same row.
let made = 0;
const dir = mkdtempSync(join(tmpdir(), "spire-bench-"));

try {
  const store = openSqliteStore(join(dir, "spire.db"));
  await store.init();
  await store.createRun(aRun("bench"), runCreated(aRun("bench")));
  // Each change writes a new attempt row over 500 task paths, as a long run would.
  const change = (i: number): StateChange => taskChange("bench", `task-${i % 500}`, "task.finished", { attempt: 1 + Math.floor(i / 500) });

  await measure(store, "write([1 event + task row])", writes, 1, change);
  await measure(store, "write of 10 such changes (per change)", writes, 10, change);
  await measure(store, "write([1 event + run patch])", writes, 1, (i) => ({
    event: { run_id: "bench", ts: i, type: "run.progress", task_path: null, attempt: null, data: { done: i } },
    run: { id: "bench", warnings: i },
  }));
  const read = Date.now();
  const run = await store.getRun("bench");
  console.log(`getRun with ${run?.tasks.length} task rows: ${Date.now() - read} ms`);
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function measure(store: Store, label: string, total: number, batch: number, make: (i: number) => StateChange): Promise<void> {
  const start = process.hrtime.bigint();
  for (let done = 0; done < total; done += batch) {
    const changes: StateChange[] = [];
    for (let k = 0; k < batch; k++) changes.push(make(made++));
    await store.write(changes);
  }
  const micros = Number(process.hrtime.bigint() - start) / 1000 / total;
  console.log(`${label}: ${micros.toFixed(1)} µs per change over ${total} changes`);
}
