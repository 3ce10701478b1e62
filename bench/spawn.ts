/**
 * bench/spawn: 5,000 no-op tasks (`echo hi`) through Spire — planned, run
 * under the parallelism limit, output captured to log files, every state
 * change persisted in SQLite — against a bare Node `spawn` loop at the same
 * parallelism without capture, in the same process. Target ≥ 0.85× the bare
 * rate. For reference: C posix_spawn (when a C compiler is here), and the
 * bare loop again with a 1 GiB heap in the parent (fork cost grows with it).
 *
 *   npm run build && node dist/bench/spawn.js [tasks] [parallelism]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalExecutor } from "../src/exec/local-executor.js";
import { SupervisorExecutor } from "../src/exec/supervisor/client.js";
import type { Executor } from "../src/exec/port.js";
import { RunController } from "../src/engine/run-controller.js";
import { createRun } from "../src/engine/start-run.js";
import { Slots } from "../src/engine/slots.js";
import { pipelineSchema } from "../src/spec/schema.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { REPO_ROOT, machine, saveResult } from "./lib.js";

const TASKS = Number(process.argv[2] ?? 5000);
const PARALLEL = Number(process.argv[3] ?? 2);

async function bareLoop(): Promise<number> {
  const started = performance.now();
  let launched = 0;
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    const next = () => {
      while (running < PARALLEL && launched < TASKS) {
        launched++;
        running++;
        const child = spawn("echo", ["hi"], { stdio: "ignore" });
        child.on("error", reject);
        child.on("exit", () => {
          running--;
          if (launched === TASKS && running === 0) resolve();
          else next();
        });
      }
    };
    next();
  });
  return performance.now() - started;
}

async function spireRun(dir: string, executor: Executor): Promise<number> {
  const store = openSqliteStore(join(dir, `spire-${Math.random()}.db`));
  await store.init();
  const pipeline = pipelineSchema.parse({ tasks: { work: { repeat: TASKS, exec: ["echo", "hi"] } } });
  const started = performance.now();
  const prepared = await createRun(store, { namespace: "bench", pipelineName: "spawn", pipeline, args: {}, trigger: { kind: "manual" }, baseDir: dir, secretSource: {} });
  const controller = new RunController({ store, executor, dataDir: dir, slots: new Slots(PARALLEL), nodePath: process.execPath, baseEnv: process.env }, prepared);
  const final = await controller.start();
  const elapsed = performance.now() - started;
  if (final.state !== "succeeded") throw new Error(`the spire run ${final.state}: ${final.reason}`);
  await executor.shutdown();
  await store.close();
  return elapsed;
}

function cPosixSpawn(dir: string): number | undefined {
  const binary = join(dir, "posix_spawn");
  const compiled = spawnSync("cc", ["-O2", "-o", binary, join(REPO_ROOT, "bench", "posix_spawn.c")], { stdio: "ignore" });
  if (compiled.status !== 0 || !existsSync(binary)) return undefined;
  const run = spawnSync(binary, [String(TASKS), String(PARALLEL), "echo", "hi"], { encoding: "utf8" });
  return run.status === 0 ? Number(run.stdout.trim()) : undefined;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-spawn-"));
  const rate = (ms: number) => (TASKS / (ms / 1000)).toFixed(0);
  await bareLoop(); // warm up the page cache and the JIT for both sides
  const bare = await bareLoop();
  const spire = await spireRun(dir, new LocalExecutor());
  const supervised = await spireRun(dir, await SupervisorExecutor.startChild());
  const bare2 = await bareLoop();
  const bareBest = Math.min(bare, bare2);
  const c = cPosixSpawn(dir);
  const ballast: number[][] = [];
  for (let i = 0; i < 128; i++) ballast.push(new Array(1024 * 1024).fill(i)); // ≈ 1 GiB of heap
  const bigHeap = await bareLoop();
  ballast.length = 0;
  rmSync(dir, { recursive: true, force: true });

  const ratio = bareBest / spire;
  console.log(`bench/spawn: ${TASKS} tasks of \`echo hi\`, parallelism ${PARALLEL}`);
  console.log(`machine: ${machine()}`);
  console.log(`  bare Node spawn loop (no capture)    ${rate(bareBest).padStart(6)} tasks/s  (${bareBest.toFixed(0)} ms; runs ${bare.toFixed(0)}, ${bare2.toFixed(0)})`);
  console.log(`  spire (capture, logs, SQLite)        ${rate(spire).padStart(6)} tasks/s  (${spire.toFixed(0)} ms)`);
  console.log(`  ratio                                ${ratio.toFixed(2)}× bare   (target ≥ 0.85×: ${ratio >= 0.85 ? "met" : "NOT met"})`);
  console.log(`  spire through the supervisor process ${rate(supervised).padStart(6)} tasks/s  (${supervised.toFixed(0)} ms; ${(bareBest / supervised).toFixed(2)}× bare) — the engine's path`);
  if (c !== undefined) console.log(`  C posix_spawn (reference)            ${rate(c).padStart(6)} tasks/s  (${c.toFixed(0)} ms)`);
  console.log(`  bare loop with a 1 GiB parent heap   ${rate(bigHeap).padStart(6)} tasks/s  (${bigHeap.toFixed(0)} ms)`);
  saveResult("spawn", { tasks: TASKS, parallel: PARALLEL, bare_ms: [bare, bare2], spire_ms: spire, supervisor_ms: supervised, c_posix_spawn_ms: c ?? null, bare_big_heap_ms: bigHeap, ratio });
}

await main();
