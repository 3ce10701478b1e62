/**
 * bench/workers: tasks run on workers (`spire worker`) against the same
 * tasks run on the engine's own machine, in the same run. Real processes on
 * loopback: one `spire engine --parallelism 2K`, and two `spire worker
 * --tasks K` (w1 with labels bench,one; w2 with bench), each with its own
 * data folder and supervisor. No network namespaces: they would add a
 * bridge, not what is measured here. Runs are waited for on their event
 * stream with ?logs=none.
 *
 *  1. Throughput: a run of N no-op tasks (`exec: ["true"]`, `repeat: N`),
 *     POST → the run's end on its event stream. Local at parallelism K
 *     against one worker (`runs_on: [one]`, its --tasks K), and local at 2K
 *     against two workers (`runs_on: [bench]`, K each); rounds interleaved
 *     (each round runs the four in a rotated order), medians. Local runs
 *     are limited by the pipeline's `parallelism:`. CPU per task of each
 *     process, from /proc; a bare spawn loop of the same tasks in each round
 *     shows how fast the machine spawns at that moment.
 *  2. Trigger → spawn: one-task runs one after another, a local one and a
 *     worker one in turn; from the moment the POST's last byte leaves to
 *     the task's started_at (stamped by the supervisor that spawns it, on
 *     the worker's machine for a worker task, just before spawn(); ms) and
 *     to the task's own first clock reading (`date +%s%N`). Target: p99 ≤
 *     20 ms to spawn on a worker. The worker's steps are split with the
 *     engine's task.started event (written once the task is placed, just
 *     before the launch goes out on the worker's stream) and the worker's
 *     "attempt launched" log line (pino's ms time, once it has handed the
 *     launch to its supervisor). The same machine and clock for all.
 *  3. Log throughput: a task printing L lines of 100 bytes (`yes | head`)
 *     on a worker against locally, rounds interleaved: from the task's
 *     started_at to the run's finished_at (a worker's run ends only once the
 *     engine holds the whole log: its end report is refused until then).
 *     MB/s of output, lines/s, the ratio; the engine's copy is checked
 *     byte for byte against the worker's file.
 *
 *   npm run build && node dist/bench/workers.js [--tasks 200] [--parallel 2]
 *       [--rounds 3] [--runs 200] [--warmup 20] [--log-lines 200000]
 *       [--only throughput,latency,logs] [--keep]
 *       [--engine-flags="--cpu-prof --cpu-prof-dir=DIR"] [--worker-flags=…]  (node flags of the engine, of the workers)
 *
 * Linux only (CPU from /proc).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { apiClient } from "./http.js";
import { calibrateRealtime, machine, saveResult, spireArgv, spireArgvWith, spireEnv, summarize, type Summary } from "./lib.js";
import { sampleProcess } from "./proc.js";

const { values: options } = parseArgs({
  options: {
    tasks: { type: "string", default: "200" },
    parallel: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    runs: { type: "string", default: "200" },
    warmup: { type: "string", default: "20" },
    "log-lines": { type: "string", default: "200000" },
    only: { type: "string", default: "throughput,latency,logs" },
    "engine-flags": { type: "string", default: "" },
    "worker-flags": { type: "string", default: "" },
    keep: { type: "boolean", default: false },
  },
});
const TASKS = Number(options.tasks);
const K = Number(options.parallel);
const ROUNDS = Number(options.rounds);
const RUNS = Number(options.runs);
const WARMUP = Number(options.warmup);
const LOG_LINES = Number(options["log-lines"]);
const LINE_BYTES = 100;
const PARTS = new Set(options.only.split(","));
const ENGINE_FLAGS = options["engine-flags"].split(" ").filter(Boolean);
const WORKER_FLAGS = options["worker-flags"].split(" ").filter(Boolean);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// ---------------------------------------------------------------- the clock (bench/lib.ts calibrateRealtime)

/** hrtime tied to the realtime clock at a millisecond edge of Date.now(), the narrowest of 10 brackets. */
const clockOffset = calibrateRealtime();
const realtimeNs = () => process.hrtime.bigint() + clockOffset;

// ---------------------------------------------------------------- HTTP

const http = apiClient(realtimeNs);
const { call, callJson } = http;

// ---------------------------------------------------------------- the processes

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  logFile: string;
  data: string;
}

interface Cluster {
  dir: string;
  url: string;
  token: string;
  engine: Proc;
  workers: Proc[];
}

function start(name: string, argv: string[], dir: string, data: string): Proc {
  const logFile = join(dir, `${name}.log`);
  writeFileSync(logFile, "");
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, argv, { stdio: ["ignore", log, log], cwd: dir, env: spireEnv({ ...process.env, NO_COLOR: "1" }) });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, child, exited, logFile, data };
}

/** The pid of the supervisor that serves the data folder (its pid file beside the socket). */
function supervisorPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, "supervisor.sock.pid"), "utf8").trim().split(" ")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function startCluster(dir: string): Promise<Cluster> {
  const engineData = join(dir, "engine-data");
  const engine = start("engine", spireArgvWith(ENGINE_FLAGS, "engine", "--listen", "127.0.0.1:0", "--data", engineData, "--parallelism", String(2 * K)), dir, engineData);
  const cluster: Cluster = { dir, url: "", token: "", engine, workers: [] };
  try {
    const addressFile = join(engineData, "engine.json");
    for (const deadline = Date.now() + 30_000; ; await sleep(20)) {
      const address = existsSync(addressFile) ? (JSON.parse(readFileSync(addressFile, "utf8") || "{}") as { pid?: number; url?: string }) : {};
      if (address.pid === engine.child.pid && address.url) {
        cluster.url = address.url;
        break;
      }
      if (engine.child.exitCode !== null || Date.now() > deadline) throw new Error(`the engine did not start: ${readFileSync(engine.logFile, "utf8").slice(-2000)}`);
    }
    cluster.token = readFileSync(join(engineData, "token"), "utf8").trim();
    // The worker token as a user makes it: `spire token create --scope worker`.
    const workerToken = (await output(process.execPath, spireArgv("token", "create", "--scope", "worker", "--name", "bench"), { SPIRE_ENGINE: cluster.url, SPIRE_TOKEN: cluster.token, SPIRE_DATA: join(dir, "cli-data") })).trim();
    for (const [name, labels] of [
      ["w1", "bench,one"],
      ["w2", "bench"],
    ] as const) {
      const data = join(dir, `${name}-data`);
      mkdirSync(data, { recursive: true });
      cluster.workers.push(start(name, spireArgvWith(WORKER_FLAGS, "worker", "--engine", cluster.url, "--token", workerToken, "--labels", labels, "--name", name, "--data", data, "--workdir", dir, "--tasks", String(K)), dir, data));
    }
    for (const deadline = Date.now() + 30_000; ; await sleep(50)) {
      const { workers: listed } = await callJson<{ workers: { name: string; state: string }[] }>(cluster.url, cluster.token, "GET", "/api/v1/workers");
      if (["w1", "w2"].every((name) => listed.some((worker) => worker.name === name && worker.state === "connected"))) break;
      for (const worker of cluster.workers) if (worker.child.exitCode !== null) throw new Error(`worker ${worker.name} exited: ${readFileSync(worker.logFile, "utf8").slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`the workers did not connect: ${JSON.stringify(listed)}`);
    }
    return cluster;
  } catch (error) {
    // Nothing started here is left running.
    await stopCluster(cluster);
    throw error;
  }
}

/**
 * Workers first (SIGTERM: their tasks would go on under their supervisors,
 * which wait 10 minutes for a worker to come back; none runs now, so those
 * supervisors are stopped by pid), then the engine, which stops its own.
 */
async function stopCluster(cluster: Cluster): Promise<void> {
  const stopped = async (proc: Proc) => {
    proc.child.kill("SIGTERM");
    const code = await Promise.race([proc.exited, sleep(30_000).then(() => "timeout" as const)]);
    if (code === "timeout") proc.child.kill("SIGKILL");
  };
  for (const worker of cluster.workers) {
    const supervisor = supervisorPid(worker.data);
    await stopped(worker);
    // A worker stopped with SIGTERM stops its idle supervisor itself: this only catches one it left (it may be gone by now).
    if (supervisor !== undefined && sampleProcess(supervisor)?.comm.startsWith("node")) {
      try {
        process.kill(supervisor, "SIGTERM");
      } catch {
        // gone meanwhile
      }
    }
  }
  await stopped(cluster.engine);
}

function output(command: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

/** CPU ms so far of the engine, the workers and their supervisors, by role. */
function cpuNow(cluster: Cluster): Record<string, number> {
  const cpu = (pid: number | undefined) => (pid === undefined ? 0 : (sampleProcess(pid)?.cpuMs ?? 0));
  const workers = cluster.workers.map((worker) => cpu(worker.child.pid)).reduce((a, b) => a + b, 0);
  const workerSupervisors = cluster.workers.map((worker) => cpu(supervisorPid(worker.data))).reduce((a, b) => a + b, 0);
  return { engine: cpu(cluster.engine.child.pid), engine_supervisor: cpu(supervisorPid(cluster.engine.data)), workers, worker_supervisors: workerSupervisors };
}

function cpuSince(cluster: Cluster, before: Record<string, number>): Record<string, number> {
  const after = cpuNow(cluster);
  return Object.fromEntries(Object.entries(after).map(([role, ms]) => [role, ms - before[role]!]));
}

// ---------------------------------------------------------------- runs

interface RunObject {
  id: string;
  state: string;
  reason: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  tasks: { path: string; state: string; worker?: string | null; started_at: string | null; finished_at: string | null; outputs: Record<string, string> }[];
}

interface Finished {
  run: RunObject;
  sentNs: bigint;
  /** Realtime ns when the run's event stream ended (after run.finished). */
  endNs: bigint;
  /** The first ts (epoch ms) of each event type. */
  eventTs: Map<string, number>;
}

/** Posts a run of bench/`pipeline` and waits for its end on its event stream. */
async function runToEnd(cluster: Cluster, pipeline: string): Promise<Finished> {
  const posted = await call(cluster.url, cluster.token, "POST", `/api/v1/pipelines/bench/${pipeline}/runs`, {});
  if (posted.status !== 201) throw new Error(`POST ${pipeline} runs: ${posted.status} ${posted.body.toString("utf8").slice(0, 500)}`);
  const id = (JSON.parse(posted.body.toString("utf8")) as RunObject).id;
  // The event stream ends after run.finished: one request waits for the end (without the log lines: they would cost the engine as much as the capture).
  const events = await call(cluster.url, cluster.token, "GET", `/api/v1/runs/${id}/events?logs=none`);
  const endNs = realtimeNs();
  if (events.status !== 200) throw new Error(`GET events of ${id}: ${events.status}`);
  const run = await callJson<RunObject>(cluster.url, cluster.token, "GET", `/api/v1/runs/${id}`);
  if (run.state !== "succeeded") throw new Error(`run ${id} of ${pipeline} ${run.state}: ${run.reason} ${JSON.stringify(run.tasks.filter((task) => task.state !== "succeeded").slice(0, 3))}`);
  const eventTs = new Map<string, number>();
  for (const match of events.body.toString("utf8").matchAll(/^data: (.*)$/gm)) {
    const event = JSON.parse(match[1]!) as { type?: string; ts?: number };
    if (event.type && event.ts !== undefined && !eventTs.has(event.type)) eventTs.set(event.type, event.ts);
  }
  return { run, sentNs: posted.sentNs, endNs, eventTs };
}

function definitions(): string {
  const noOp = (extra: string) => `{ t: { repeat: ${TASKS}, exec: ["true"]${extra} } }`;
  const clock = (extra: string) => `{ t: { exec: [date, "+::output::t=%s%N"]${extra} } }`;
  const chatty = (extra: string) => `{ t: { exec: [sh, -c, "yes ${"x".repeat(LINE_BYTES - 1)} | head -n ${LOG_LINES}"]${extra} } }`;
  return [
    "pipelines:",
    `  local-k: { parallelism: ${K}, tasks: ${noOp("")} }`,
    `  local-2k: { tasks: ${noOp("")} }`,
    `  one-worker: { tasks: ${noOp(", runs_on: [one]")} }`,
    `  two-workers: { tasks: ${noOp(", runs_on: [bench]")} }`,
    `  latency-local: { tasks: ${clock("")} }`,
    `  latency-worker: { tasks: ${clock(", runs_on: [one]")} }`,
    `  log-local: { tasks: ${chatty("")} }`,
    `  log-worker: { tasks: ${chatty(", runs_on: [one]")} }`,
    "",
  ].join("\n");
}

// ---------------------------------------------------------------- 1. throughput

const CASES = [
  { pipeline: "local-k", label: `local, parallelism ${K}`, tasks: K },
  { pipeline: "one-worker", label: `1 worker, --tasks ${K}`, tasks: K },
  { pipeline: "local-2k", label: `local, parallelism ${2 * K}`, tasks: 2 * K },
  { pipeline: "two-workers", label: `2 workers, --tasks ${K} each`, tasks: 2 * K },
] as const;

interface ThroughputSample {
  ms: number;
  cpu: Record<string, number>;
}

/** N `true` at `parallel` from this process with a bare spawn loop (no capture, no records): how fast this machine spawns now. */
async function bareLoop(parallel: number): Promise<number> {
  const started = performance.now();
  let launched = 0;
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    const next = () => {
      while (running < parallel && launched < TASKS) {
        launched++;
        running++;
        const child = spawn("true", [], { stdio: "ignore" });
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

async function throughputPart(cluster: Cluster): Promise<Record<string, ThroughputSample[]>> {
  const samples: Record<string, ThroughputSample[]> = Object.fromEntries([...CASES.map((c) => [c.pipeline, []]), ["bare", []]]);
  // One run of each, not counted: the JIT, the page cache, the workers' first connections.
  for (const c of CASES) await runToEnd(cluster, c.pipeline);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated order: whichever runs first in a round meets a different machine each time.
    const order = CASES.map((_, index) => CASES[(index + round) % CASES.length]!);
    for (const c of order) {
      const before = cpuNow(cluster);
      const { run, sentNs, endNs } = await runToEnd(cluster, c.pipeline);
      const cpu = cpuSince(cluster, before);
      const workersUsed = new Set(run.tasks.map((task) => task.worker));
      if (c.pipeline === "two-workers" && !(workersUsed.has("w1") && workersUsed.has("w2"))) throw new Error(`two-workers ran on ${[...workersUsed].join(", ")}`);
      samples[c.pipeline]!.push({ ms: Number(endNs - sentNs) / 1e6, cpu });
    }
    samples.bare!.push({ ms: await bareLoop(K), cpu: {} });
  }
  return samples;
}

function printThroughput(samples: Record<string, ThroughputSample[]>): Record<string, unknown> {
  console.log(`\n1. throughput: runs of ${TASKS} no-op tasks (exec: ["true"]), POST → the run's end on its event stream, median of ${ROUNDS} rotated rounds`);
  console.log(`   CPU per task (ms, /proc, 10 ms ticks over the run): engine · its supervisor · workers · their supervisors = all`);
  const rate = (ms: number) => TASKS / (ms / 1000);
  const medianOf = (pipeline: string) => median(samples[pipeline]!.map((sample) => sample.ms));
  const rows: Record<string, unknown> = {};
  for (const c of CASES) {
    const list = samples[c.pipeline]!;
    const cpu = Object.fromEntries(Object.keys(list[0]!.cpu).map((role) => [role, median(list.map((sample) => sample.cpu[role]!)) / TASKS]));
    const cpuText = `${Object.values(cpu).map((ms) => fmt(ms, 2)).join(" · ")} = ${fmt(Object.values(cpu).reduce((a, b) => a + b, 0), 2)}`;
    rows[c.pipeline] = { tasks_per_s: rate(medianOf(c.pipeline)), rounds_tasks_per_s: list.map((sample) => rate(sample.ms)), cpu_ms_per_task: cpu };
    console.log(`   ${c.label.padEnd(30)} ${fmt(rate(medianOf(c.pipeline)), 0).padStart(6)} tasks/s  (rounds ${list.map((sample) => fmt(rate(sample.ms), 0)).join(", ")}; CPU/task ${cpuText})`);
  }
  const bare = samples.bare!.map((sample) => rate(sample.ms));
  console.log(`   ${"reference: bare Node spawn loop".padEnd(30)} ${fmt(median(bare), 0).padStart(6)} tasks/s  (rounds ${bare.map((value) => fmt(value, 0)).join(", ")}; \`true\` at ${K} from this process, no capture: how fast the machine spawns now)`);
  rows.bare_tasks_per_s = median(bare);
  const one = medianOf("local-k") / medianOf("one-worker");
  const two = medianOf("local-2k") / medianOf("two-workers");
  console.log(`   ratio: 1 worker ${fmt(one, 2)}× local at ${K}; 2 workers ${fmt(two, 2)}× local at ${2 * K}; 2 workers ${fmt(medianOf("one-worker") / medianOf("two-workers"), 2)}× 1 worker`);
  return { ...rows, ratio_one_worker: one, ratio_two_workers: two };
}

// ---------------------------------------------------------------- 2. trigger → spawn

type Steps = Record<string, number[]>;

/** When worker w1 logged "attempt launched" for each attempt (pino's time, ms). */
function launchTimes(logFile: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line.includes('"attempt launched"')) continue;
    try {
      const entry = JSON.parse(line) as { time?: number; attempt?: string };
      if (entry.attempt && entry.time !== undefined) times.set(entry.attempt, entry.time);
    } catch {
      // not a JSON line
    }
  }
  return times;
}

async function latencyPart(cluster: Cluster): Promise<{ local: Record<string, Summary>; worker: Record<string, Summary> }> {
  const sides = { local: { pipeline: "latency-local", steps: {} as Steps }, worker: { pipeline: "latency-worker", steps: {} as Steps } };
  const worker: Finished[] = [];
  const push = (steps: Steps, key: string, value: number) => (steps[key] ??= []).push(value);
  for (let index = 0; index < WARMUP + RUNS; index++) {
    // In turn, the order swapped each time: the machine's moods fall on both alike.
    for (const side of index % 2 === 0 ? [sides.local, sides.worker] : [sides.worker, sides.local]) {
      const finished = await runToEnd(cluster, side.pipeline);
      if (index < WARMUP) continue;
      const { run, sentNs, endNs, eventTs } = finished;
      const task = run.tasks[0]!;
      if (!task.started_at || !task.finished_at || !run.finished_at || !task.outputs.t) throw new Error(`run ${run.id}: no times: ${JSON.stringify(run).slice(0, 800)}`);
      const sentMs = Number(sentNs) / 1e6;
      const startedAt = Date.parse(task.started_at);
      push(side.steps, "POST → run created", Date.parse(run.created_at) - sentMs);
      push(side.steps, "POST → task.started event", eventTs.get("task.started")! - sentMs);
      push(side.steps, "POST → spawn (started_at)", startedAt - sentMs);
      push(side.steps, "POST → task running (its clock)", Number(BigInt(task.outputs.t) - sentNs) / 1e6);
      push(side.steps, "task ended → run finished", Date.parse(run.finished_at) - Date.parse(task.finished_at));
      push(side.steps, "POST → run end seen (cycle)", Number(endNs - sentNs) / 1e6);
      push(side.steps, "task.started event → spawn", startedAt - eventTs.get("task.started")!);
      if (side === sides.worker) worker.push(finished);
    }
  }
  // The worker's own step: its log line for each attempt (written after it handed the launch to its supervisor).
  const launched = launchTimes(cluster.workers[0]!.logFile);
  for (const { run, eventTs } of worker) {
    const at = launched.get(`${run.id}:t:1`);
    if (at === undefined) continue;
    push(sides.worker.steps, "task.started event → worker has it", at - eventTs.get("task.started")!);
    push(sides.worker.steps, "worker has it → spawn", Date.parse(run.tasks[0]!.started_at!) - at);
  }
  const summaries = (steps: Steps) => Object.fromEntries(Object.entries(steps).map(([key, values]) => [key, summarize(values)]));
  return { local: summaries(sides.local.steps), worker: summaries(sides.worker.steps) };
}

function printLatency(result: { local: Record<string, Summary>; worker: Record<string, Summary> }): boolean {
  console.log(`\n2. trigger → spawn: ${RUNS} one-task runs on worker w1 and ${RUNS} local ones, in turn, one after another (${WARMUP} warm-up pairs first)`);
  console.log(`   t0: the POST's last byte leaves (hrtime tied to the realtime clock); spawn: the task's started_at, stamped by the`);
  console.log(`   supervisor that spawns it just before spawn() (the worker's own for a worker task; ms, truncated: ±1 ms); running: the`);
  console.log(`   task's \`date +%s%N\`. "worker has it": w1's "attempt launched" log line (ms). One machine, one clock. ms:`);
  console.log(`   ${"".padEnd(36)} ${"local p50".padStart(9)} ${"p99".padStart(6)} ${"max".padStart(6)}   ${"worker p50".padStart(10)} ${"p99".padStart(6)} ${"max".padStart(6)} ${"mean".padStart(6)}`);
  for (const key of new Set([...Object.keys(result.local), ...Object.keys(result.worker)])) {
    const l = result.local[key];
    const w = result.worker[key];
    const cells = (s: Summary | undefined, width: number) => (s ? `${fmt(s.p50).padStart(width)} ${fmt(s.p99).padStart(6)} ${fmt(s.max).padStart(6)}` : `${"".padStart(width)} ${"".padStart(6)} ${"".padStart(6)}`);
    console.log(`   ${key.padEnd(36)} ${cells(l, 9)}   ${cells(w, 10)} ${w ? fmt(w.mean).padStart(6) : ""}`);
  }
  const p99 = result.worker["POST → spawn (started_at)"]!.p99;
  const met = p99 <= 20;
  console.log(`   target p99 ≤ 20 ms (POST → spawn on a worker): ${met ? "met" : "NOT met"} (${fmt(p99)} ms; local ${fmt(result.local["POST → spawn (started_at)"]!.p99)} ms)`);
  return met;
}

// ---------------------------------------------------------------- 3. log throughput

interface LogSample {
  /** The task's started_at → the run's finished_at (engine), ms. */
  ms: number;
  /** The task's own time (started_at → finished_at, as its supervisor saw it). */
  taskMs: number;
  /** The task ended → the run finished: for a worker, mostly the rest of the log arriving. */
  tailMs: number;
  logFileBytes: number;
  cpu: Record<string, number>;
}

function logFileOf(data: string, run: string): string {
  return join(data, "runs", run, "tasks", "t", "1.log");
}

async function logRun(cluster: Cluster, pipeline: string): Promise<LogSample> {
  const before = cpuNow(cluster);
  const { run } = await runToEnd(cluster, pipeline);
  const cpu = cpuSince(cluster, before);
  const task = run.tasks[0]!;
  const copy = logFileOf(cluster.engine.data, run.id);
  const bytes = statSync(copy).size;
  if (pipeline === "log-worker") {
    const original = logFileOf(cluster.workers[0]!.data, run.id);
    const a = readFileSync(original);
    const b = readFileSync(copy);
    if (!a.equals(b)) throw new Error(`the engine's copy of ${run.id}'s log (${b.length} bytes) differs from the worker's (${a.length} bytes)`);
    rmSync(original);
  }
  const lines = readFileSync(copy, "latin1").split("\n").length - 1;
  if (lines !== LOG_LINES) throw new Error(`${run.id}: the engine's log holds ${lines} lines, not ${LOG_LINES}`);
  rmSync(copy);
  const started = Date.parse(task.started_at!);
  const ended = Date.parse(task.finished_at!);
  const finished = Date.parse(run.finished_at!);
  return { ms: finished - started, taskMs: ended - started, tailMs: finished - ended, logFileBytes: bytes, cpu };
}

async function logsPart(cluster: Cluster): Promise<{ local: LogSample[]; worker: LogSample[] }> {
  const samples = { local: [] as LogSample[], worker: [] as LogSample[] };
  await logRun(cluster, "log-local");
  await logRun(cluster, "log-worker");
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? (["local", "worker"] as const) : (["worker", "local"] as const)) samples[side].push(await logRun(cluster, `log-${side}`));
  }
  return samples;
}

function printLogs(samples: { local: LogSample[]; worker: LogSample[] }): Record<string, unknown> {
  const outputBytes = LOG_LINES * LINE_BYTES;
  const MB = 1e6;
  console.log(`\n3. log throughput: a task printing ${LOG_LINES.toLocaleString("en")} lines of ${LINE_BYTES} bytes (${fmt(outputBytes / MB, 0)} MB), median of ${ROUNDS} interleaved rounds`);
  console.log(`   time: the task's started_at → the run's finished_at (a worker's run ends once the engine holds its whole log;`);
  console.log(`   the engine's copy was checked equal to the worker's file). Log file ${fmt(samples.local[0]!.logFileBytes / MB, 0)} MB (a timestamped JSON line per line).`);
  const rows: Record<string, unknown> = {};
  for (const side of ["local", "worker"] as const) {
    const list = samples[side];
    const ms = median(list.map((sample) => sample.ms));
    const cpu = Object.fromEntries(Object.keys(list[0]!.cpu).map((role) => [role, median(list.map((sample) => sample.cpu[role]!))]));
    rows[side] = { ms, mb_per_s: outputBytes / MB / (ms / 1000), lines_per_s: LOG_LINES / (ms / 1000), task_ms: median(list.map((s) => s.taskMs)), tail_ms: median(list.map((s) => s.tailMs)), rounds_ms: list.map((s) => s.ms), cpu_ms: cpu };
    console.log(
      `   ${(side === "local" ? "local capture" : "on worker w1").padEnd(16)} ${fmt(ms, 0).padStart(6)} ms  ${fmt(outputBytes / MB / (ms / 1000), 1).padStart(6)} MB/s  ${fmt(LOG_LINES / (ms / 1000) / 1000, 0).padStart(5)} k lines/s  (rounds ${list.map((s) => fmt(s.ms, 0)).join(", ")} ms; task ran ${fmt(median(list.map((s) => s.taskMs)), 0)} ms, then ${fmt(median(list.map((s) => s.tailMs)), 0)} ms to the run's end; CPU ms ${Object.entries(cpu).map(([role, value]) => `${role.replace("_", " ")} ${fmt(value, 0)}`).join(", ")}; all ${fmt(Object.values(cpu).reduce((a, b) => a + b, 0), 0)})`,
    );
  }
  const ratio = median(samples.local.map((s) => s.ms)) / median(samples.worker.map((s) => s.ms));
  console.log(`   ratio: the worker ${fmt(ratio, 2)}× local capture`);
  return { ...rows, ratio, output_bytes: outputBytes, log_file_bytes: samples.local[0]!.logFileBytes };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-workers-"));
  console.log(`bench/workers: engine --parallelism ${2 * K} and 2 workers --tasks ${K} (w1: bench,one; w2: bench), real processes on 127.0.0.1, data in ${dir}`);
  console.log(`machine: ${machine()}; load average before: ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  if (ENGINE_FLAGS.length) console.log(`engine node flags: ${ENGINE_FLAGS.join(" ")}`);
  if (WORKER_FLAGS.length) console.log(`worker flags: ${WORKER_FLAGS.join(" ")}`);
  const results: Record<string, unknown> = { tasks: TASKS, parallel: K, rounds: ROUNDS, runs: RUNS, log_lines: LOG_LINES };
  try {
    const cluster = await startCluster(dir);
    try {
      await callJson(cluster.url, cluster.token, "POST", "/api/v1/apply", { text: definitions(), namespace: "bench" });
      if (PARTS.has("throughput")) results.throughput = printThroughput(await throughputPart(cluster));
      if (PARTS.has("latency")) {
        const latency = await latencyPart(cluster);
        results.latency = { ...latency, target_met: printLatency(latency) };
      }
      if (PARTS.has("logs")) results.logs = printLogs(await logsPart(cluster));
    } finally {
      await stopCluster(cluster);
    }
  } finally {
    http.destroy();
    if (options.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  console.log(`load average after: ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  console.log(`saved ${saveResult(PARTS.size === 3 ? "workers" : `workers-${[...PARTS].join("-")}`, results)}`);
}

await main();
