/**
 * bench/spawn: 5,000 no-op tasks (`echo hi`) through Spire — planned, run
 * under the parallelism limit, output captured to log files, every state
 * change persisted in SQLite — against a bare Node `spawn` loop at the same
 * parallelism without capture, in the same process. Target ≥ 0.85× the bare
 * rate. For reference: C posix_spawn (when a C compiler is here), and the
 * bare loop again with a 1 GiB heap in the parent (fork cost grows with it).
 *
 * Resource sampling (src/exec/resources) is measured by running Spire with
 * and without it in the same rounds (target: costs ≤ 5%). These tasks end
 * before the first sample, so that side pays for the bookkeeping and the
 * reap meter; what one sample of the process table costs is timed apart.
 *
 *   npm run build && node dist/bench/spawn.js [tasks] [parallelism]
 */
import { LocalLogs } from "../src/logs/local-logs.js";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalExecutor } from "../src/exec/local-executor.js";
import { LinuxProbe } from "../src/exec/resources/linux.js";
import { SupervisorExecutor } from "../src/exec/supervisor/client.js";
import type { Executor } from "../src/exec/port.js";
import { RunController } from "../src/engine/runs/run-controller.js";
import { createRun } from "../src/engine/runs/start-run.js";
import { Slots } from "../src/engine/resources/slots.js";
import { pipelineSchema } from "../src/definitions/schema.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { REPO_ROOT, cpuTimes, machine, saveResult } from "./lib.js";

const TASKS = Number(process.argv[2] ?? 5000);
const PARALLEL = Number(process.argv[3] ?? 2);
const ROUNDS = Number(process.argv[4] ?? 3);

interface Sample {
  ms: number;
  /** CPU µs per task of this process, and of the children reaped meanwhile. */
  selfUs: number;
  childrenUs: number;
}

async function measure(run: () => Promise<number>): Promise<Sample> {
  const before = cpuTimes();
  const ms = await run();
  const after = cpuTimes();
  return { ms, selfUs: ((after.self - before.self) * 1000) / TASKS, childrenUs: ((after.children - before.children) * 1000) / TASKS };
}

function median(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor(sorted.length / 2)]!;
}

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
  const controller = new RunController({ store, executor, logs: new LocalLogs(), dataDir: dir, slots: new Slots(PARALLEL), nodePath: process.execPath, baseEnv: process.env }, prepared);
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

/**
 * Median time of one read of the process table as the sampler does it
 * (Linux), watching this process: in full (once a second), and
 * incrementally (new processes and the watched ones only).
 */
function tableSampleUs(): { fullUs: number; incrementalUs: number; processes: number } | undefined {
  if (process.platform !== "linux") return undefined;
  const watched = new Set([process.pid]);
  const timed = (read: () => number) => {
    const started = performance.now();
    const processes = read();
    return { us: (performance.now() - started) * 1000, processes };
  };
  const medianUs = (samples: { us: number }[]) => samples.map((sample) => sample.us).sort((a, b) => a - b)[samples.length >> 1]!;
  const full = Array.from({ length: 21 }, () => timed(() => new LinuxProbe().processesNow(watched).length));
  const probe = new LinuxProbe();
  const incremental = Array.from({ length: 201 }, () => timed(() => probe.processesNow(watched).length));
  return { fullUs: medianUs(full), incrementalUs: medianUs(incremental), processes: full[0]!.processes };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-spawn-"));
  const rate = (ms: number) => (TASKS / (ms / 1000)).toFixed(0);
  await bareLoop(); // warm up the page cache and the JIT for both sides
  const runs = { bare: [] as Sample[], spire: [] as Sample[], unsampled: [] as Sample[], supervised: [] as Sample[] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.bare.push(await measure(bareLoop));
    // With and without resource sampling, in alternating order (whichever runs second finds a warmer machine).
    const sampled = async () => runs.spire.push(await measure(() => spireRun(dir, new LocalExecutor())));
    const unsampled = async () => runs.unsampled.push(await measure(() => spireRun(dir, new LocalExecutor({ resources: false }))));
    for (const side of round % 2 === 0 ? [sampled, unsampled] : [unsampled, sampled]) await side();
    // The supervisor exits at the end of its run, so its CPU (and its tasks') is in this process's children time.
    runs.supervised.push(await measure(async () => spireRun(dir, await SupervisorExecutor.startChild())));
  }
  const [bare, spire, unsampled, supervised] = [median(runs.bare), median(runs.spire), median(runs.unsampled), median(runs.supervised)];
  const c = cPosixSpawn(dir);
  const sample = tableSampleUs();
  const ballast: number[][] = [];
  for (let i = 0; i < 128; i++) ballast.push(new Array(1024 * 1024).fill(i)); // ≈ 1 GiB of heap
  const bigHeap = await bareLoop();
  ballast.length = 0;
  rmSync(dir, { recursive: true, force: true });

  const ratio = bare.ms / spire.ms;
  const all = (samples: Sample[]) => samples.map((sample) => rate(sample.ms)).join(", ");
  const cpu = (sample: Sample, children: string) => `CPU/task ${sample.selfUs.toFixed(0)} µs here + ${sample.childrenUs.toFixed(0)} µs ${children}`;
  console.log(`bench/spawn: ${TASKS} tasks of \`echo hi\`, parallelism ${PARALLEL}, median of ${ROUNDS} interleaved rounds`);
  console.log(`machine: ${machine()}`);
  console.log(`  bare Node spawn loop (no capture)    ${rate(bare.ms).padStart(6)} tasks/s  (rounds ${all(runs.bare)}; ${cpu(bare, "tasks")})`);
  console.log(`  spire (capture, logs, SQLite)        ${rate(spire.ms).padStart(6)} tasks/s  (rounds ${all(runs.spire)}; ${cpu(spire, "tasks")})`);
  console.log(`  ratio                                ${ratio.toFixed(2)}× bare   (target ≥ 0.85×: ${ratio >= 0.85 ? "met" : "NOT met"})`);
  // Rounds differ more than the two sides do on a busy machine: compare each round's pair, then take the median.
  const pairedMedian = (value: (sample: Sample) => number) => median(runs.spire.map((sample, round) => ({ ms: value(sample) / value(runs.unsampled[round]!), selfUs: 0, childrenUs: 0 }))).ms;
  const samplingCost = pairedMedian((sample) => sample.ms) - 1;
  const samplingCpuCost = pairedMedian((sample) => sample.selfUs) - 1;
  console.log(`  spire without resource sampling      ${rate(unsampled.ms).padStart(6)} tasks/s  (rounds ${all(runs.unsampled)}; ${cpu(unsampled, "tasks")})`);
  console.log(`  resource sampling costs              ${(samplingCost * 100).toFixed(1)}% of the time, ${(samplingCpuCost * 100).toFixed(1)}% of the CPU here (medians of the rounds' ratios; target ≤ 5%: ${samplingCost <= 0.05 ? "met" : "NOT met"})`);
  if (sample !== undefined) {
    console.log(`  one read of the process table        ${sample.fullUs.toFixed(0)} µs in full, ${sample.incrementalUs.toFixed(0)} µs incrementally (medians; ${sample.processes} processes); one per tick for all running attempts`);
  }
  console.log(`  spire through the supervisor process ${rate(supervised.ms).padStart(6)} tasks/s  (${(bare.ms / supervised.ms).toFixed(2)}× bare; rounds ${all(runs.supervised)}; ${cpu(supervised, "supervisor and tasks")}) — the engine's path`);
  if (c !== undefined) console.log(`  C posix_spawn (reference)            ${rate(c).padStart(6)} tasks/s  (${c.toFixed(0)} ms)`);
  console.log(`  bare loop with a 1 GiB parent heap   ${rate(bigHeap).padStart(6)} tasks/s  (${bigHeap.toFixed(0)} ms)`);
  saveResult("spawn", {
    tasks: TASKS,
    parallel: PARALLEL,
    rounds: ROUNDS,
    bare: runs.bare,
    spire: runs.spire,
    spire_unsampled: runs.unsampled,
    supervisor: runs.supervised,
    c_posix_spawn_ms: c ?? null,
    bare_big_heap_ms: bigHeap,
    ratio,
    supervisor_ratio: bare.ms / supervised.ms,
    sampling_cost: samplingCost,
    sampling_cpu_cost: samplingCpuCost,
    table_read_us: sample === undefined ? null : { full: sample.fullUs, incremental: sample.incrementalUs, processes: sample.processes },
  });
}

await main();
