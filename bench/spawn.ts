/**
 * bench/spawn: 5,000 no-op tasks (`echo hi`) through Spire — planned, run
 * under the parallelism limit, output captured to log files, every state
 * change persisted in SQLite — with the native spawner (posix_spawn) and
 * with Node's spawn (SPIRE_SPAWNER=node), against a C posix_spawn loop
 * (when a C compiler is here; target ≥ 0.5× its rate) and a bare Node
 * `spawn` loop at the same parallelism without capture, in the same
 * process (the first target, ≥ 0.85×). Then the bare loop and Spire again
 * with a 1 GiB heap in the parent (fork cost grows with it).
 *
 * Resource sampling (src/exec/resources) is measured by running Spire with
 * and without it in the same rounds (target: costs ≤ 5%). These tasks end
 * before the first sample, so that side pays for the bookkeeping and the
 * reap meter; what one sample of the process table costs is timed apart.
 *
 *   npm run build && node dist/bench/spawn.js [tasks] [parallelism] [rounds]
 */
import { LocalLogs } from "../src/logs/local-logs.js";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalExecutor } from "../src/exec/local-executor.js";
import { chooseSpawner, defaultSpawner } from "../src/exec/spawner/index.js";
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
  const controller = new RunController({ store, executor, logs: new LocalLogs(), dataDir: dir, slots: new Slots(PARALLEL), nodePath: process.execPath, baseEnv: { ...process.env } }, prepared);
  const final = await controller.start();
  const elapsed = performance.now() - started;
  if (final.state !== "succeeded") throw new Error(`the spire run ${final.state}: ${final.reason}`);
  await executor.shutdown();
  await store.close();
  return elapsed;
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

/** One C posix_spawn loop (when a C compiler is here): the reference the native spawner is held to. */
function compileC(dir: string): string | undefined {
  const binary = join(dir, "posix_spawn");
  const compiled = spawnSync("cc", ["-O2", "-o", binary, join(REPO_ROOT, "bench", "posix_spawn.c")], { stdio: "ignore" });
  return compiled.status === 0 && existsSync(binary) ? binary : undefined;
}

async function cLoop(binary: string): Promise<number> {
  const run = spawnSync(binary, [String(TASKS), String(PARALLEL), "echo", "hi"], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`posix_spawn loop: ${run.stderr}`);
  return Number(run.stdout.trim());
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-spawn-"));
  const rate = (ms: number) => (TASKS / (ms / 1000)).toFixed(0);
  const node = chooseSpawner("node").spawner;
  const native = defaultSpawner();
  if (native.note !== undefined) console.log(`note: ${native.note}`);
  const cBinary = compileC(dir);
  await bareLoop(); // warm up the page cache and the JIT for both sides
  const sides: Record<string, () => Promise<number>> = {
    bare: bareLoop,
    ...(cBinary === undefined ? {} : { c: () => cLoop(cBinary) }),
    spire: () => spireRun(dir, new LocalExecutor()),
    spireNode: () => spireRun(dir, new LocalExecutor({ spawner: node })),
    unsampled: () => spireRun(dir, new LocalExecutor({ resources: false })),
    // The supervisor exits at the end of its run, so its CPU (and its tasks') is in this process's children time.
    supervised: async () => spireRun(dir, await SupervisorExecutor.startChild()),
    supervisedNode: async () => spireRun(dir, await SupervisorExecutor.startChild({ env: { ...process.env, SPIRE_SPAWNER: "node" } })),
  };
  const runs: Record<string, Sample[]> = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
  const names = Object.keys(sides);
  for (let round = 0; round < ROUNDS; round++) {
    // A rotated order each round: whichever runs later finds a warmer (or a busier) machine.
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      runs[name]!.push(await measure(sides[name]!));
    }
  }
  const med = (name: string) => median(runs[name]!);
  const sample = tableSampleUs();
  const ballast: number[][] = [];
  for (let i = 0; i < 128; i++) ballast.push(new Array(1024 * 1024).fill(i)); // ≈ 1 GiB of heap
  const bigHeap = await bareLoop();
  const bigHeapNative = await spireRun(dir, new LocalExecutor());
  ballast.length = 0;
  rmSync(dir, { recursive: true, force: true });

  // Rounds differ more than the sides do on a busy machine: compare each round's pair, then take the median.
  const paired = (a: string, b: string, value: (sample: Sample) => number = (one) => one.ms) => median(runs[a]!.map((one, round) => ({ ms: value(runs[b]![round]!) / value(one), selfUs: 0, childrenUs: 0 }))).ms;
  const all = (name: string) => runs[name]!.map((one) => rate(one.ms)).join(", ");
  const cpu = (name: string, children: string) => `CPU/task ${med(name).selfUs.toFixed(0)} µs here + ${med(name).childrenUs.toFixed(0)} µs ${children}`;
  const line = (label: string, name: string, extra: string) => console.log(`  ${label.padEnd(46)} ${rate(med(name).ms).padStart(6)} tasks/s  (${extra}rounds ${all(name)}; ${cpu(name, name.startsWith("supervised") ? "supervisor and tasks" : "tasks")})`);
  const ratioToC = runs.c === undefined ? undefined : paired("spire", "c");
  const ratio = paired("spire", "bare");
  console.log(`bench/spawn: ${TASKS} tasks of \`echo hi\`, parallelism ${PARALLEL}, median of ${ROUNDS} rounds, each side once a round in a rotated order`);
  console.log(`machine: ${machine()}`);
  if (runs.c !== undefined) console.log(`  ${"C posix_spawn (reference, no capture)".padEnd(46)} ${rate(med("c").ms).padStart(6)} tasks/s  (rounds ${all("c")})`);
  line("bare Node spawn loop (no capture)", "bare", "");
  line("spire, native spawner (capture, logs, SQLite)", "spire", `${ratioToC === undefined ? "" : `${ratioToC.toFixed(2)}× C, `}${ratio.toFixed(2)}× bare; `);
  line("spire, Node's spawn (SPIRE_SPAWNER=node)", "spireNode", `${runs.c === undefined ? "" : `${paired("spireNode", "c").toFixed(2)}× C, `}${paired("spireNode", "bare").toFixed(2)}× bare; `);
  console.log(`  ${"native spawner against Node's spawn".padEnd(46)} ${paired("spire", "spireNode").toFixed(2)}× the rate (median of the rounds' ratios)`);
  if (ratioToC !== undefined) console.log(`  ${"target ≥ 0.5× C posix_spawn".padEnd(46)} ${ratioToC >= 0.5 ? "met" : "NOT met"} (${ratioToC.toFixed(2)}×); ≥ 0.85× the bare loop: ${ratio >= 0.85 ? "met" : "NOT met"} (${ratio.toFixed(2)}×)`);
  const samplingCost = paired("unsampled", "spire") - 1;
  const samplingCpuCost = paired("unsampled", "spire", (one) => one.selfUs) - 1;
  line("spire without resource sampling", "unsampled", "");
  console.log(`  ${"resource sampling costs".padEnd(46)} ${(samplingCost * 100).toFixed(1)}% of the time, ${(samplingCpuCost * 100).toFixed(1)}% of the CPU here (medians of the rounds' ratios; target ≤ 5%: ${samplingCost <= 0.05 ? "met" : "NOT met"})`);
  if (sample !== undefined) {
    console.log(`  ${"one read of the process table".padEnd(46)} ${sample.fullUs.toFixed(0)} µs in full, ${sample.incrementalUs.toFixed(0)} µs incrementally (medians; ${sample.processes} processes); one per tick for all running attempts`);
  }
  line("through the supervisor, native spawner", "supervised", `${runs.c === undefined ? "" : `${paired("supervised", "c").toFixed(2)}× C; `}the engine's path; `);
  line("through the supervisor, Node's spawn", "supervisedNode", `native ${paired("supervised", "supervisedNode").toFixed(2)}× this rate; `);
  console.log(`  with a 1 GiB parent heap: bare Node loop ${rate(bigHeap)} tasks/s, spire with the native spawner ${rate(bigHeapNative)} tasks/s (fork copies the heap's page tables; posix_spawn does not)`);
  saveResult("spawn", {
    tasks: TASKS,
    parallel: PARALLEL,
    rounds: ROUNDS,
    spawner_note: native.note ?? null,
    ...Object.fromEntries(Object.entries(runs).map(([name, samples]) => [name, samples])),
    bare_big_heap_ms: bigHeap,
    spire_big_heap_ms: bigHeapNative,
    ratio_to_c: ratioToC ?? null,
    ratio,
    native_over_node: paired("spire", "spireNode"),
    supervised_native_over_node: paired("supervised", "supervisedNode"),
    sampling_cost: samplingCost,
    sampling_cpu_cost: samplingCpuCost,
    table_read_us: sample === undefined ? null : { full: sample.fullUs, incremental: sample.incrementalUs, processes: sample.processes },
  });
}

await main();
