/**
 * bench/api: a real engine process (`spire engine`, temp data folder) seen
 * from outside, in three parts.
 *
 *  1. Trigger → first task spawned, over N runs one after another (each run
 *     finishes before the next is posted, so no queueing). Target p99 ≤ 10 ms.
 *  2. GET /runs/{id} throughput with autocannon, against the engine and, in
 *     the same run, against a bare node:http server (a child process) that
 *     answers the same path with the same bytes, in alternating rounds (the
 *     ratio of each pair, then their median: on a shared machine the load
 *     moves between two measurements). Target ≥ 0.8× the bare rate. Also
 *     printed: the CPU each server used per request, and their ratio (bare
 *     over engine, median of the rounds), which a busy machine moves less.
 *  3. The engine at rest with 100 applied pipelines: RSS and CPU time of the
 *     engine and of its supervisor child, from /proc, over a window; at its
 *     end the two together (RSS and PSS sums, each one's USS, the pages of
 *     either counted once: bench/pair-memory.ts), and before the engine
 *     starts, two bare node processes measured the same way (the floor).
 *     Targets: engine and supervisor together ≤ 80 MB, CPU ≈ 0 (we call
 *     < 0.1 % of a core ≈ 0).
 *
 *   npm run build && node dist/bench/api.js [--runs 1000] [--duration 10]
 *       [--connections 10] [--rounds 3] [--rest 60] [--settle 30] [--pipelines 100] [--only latency,get,rest]
 *       [--engine-flags="--cpu-prof --cpu-prof-dir=/tmp/prof"]
 *
 * Linux only (part 3 reads /proc).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { apiClient, type Answer } from "./http.js";
import { calibrateRealtime, spireArgv, spireArgvWith, spireEnv, machine, percentile, saveResult, summarize, type Summary } from "./lib.js";
import { childrenOf, sampleProcess, wakeups, type ProcSample } from "./proc.js";
import { bareNodePair, JUDGED_EXPLANATION, pairMemory, printPair, type PairMemory } from "./pair-memory.js";

const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    warmup: { type: "string", default: "20" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    rest: { type: "string", default: "60" },
    settle: { type: "string", default: "30" },
    pipelines: { type: "string", default: "100" },
    only: { type: "string", default: "latency,get,rest" },
    "engine-flags": { type: "string", default: "" },
    keep: { type: "boolean", default: false },
  },
});
const RUNS = Number(options.runs);
const WARMUP = Number(options.warmup);
const DURATION_S = Number(options.duration);
const CONNECTIONS = Number(options.connections);
const ROUNDS = Number(options.rounds);
const REST_S = Number(options.rest);
const SETTLE_S = Number(options.settle);
const PIPELINES = Number(options.pipelines);
const PARTS = new Set(options.only.split(","));
const ENGINE_FLAGS = options["engine-flags"].split(" ").filter(Boolean);

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmt = (ms: number, digits = 2) => ms.toFixed(digits);

// ---------------------------------------------------------------- the clock

/**
 * The engine stamps times with Date.now() (ms, CLOCK_REALTIME) and the task
 * with `date +%s%N` (ns, CLOCK_REALTIME); here sub-ms send times are needed.
 * So process.hrtime (monotonic, ns) is tied to the realtime clock at a
 * millisecond edge of Date.now(): the edge lies between the hrtime read
 * after the last Date.now() that showed m−1 and the one after the first that
 * shows m. Of several edges the narrowest bracket wins (a preempted read
 * gives a wide one). Checked again at the end: the change is printed as drift.
 */
let clockOffset = calibrateRealtime();
const realtimeNs = () => process.hrtime.bigint() + clockOffset;

// ---------------------------------------------------------------- HTTP

const http = apiClient(realtimeNs);
const { call, callJson } = http;

// ---------------------------------------------------------------- the engine

interface EngineProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  token: string;
  dir: string;
  exited: Promise<number | null>;
}

async function startEngine(dir: string): Promise<EngineProcess> {
  const logFile = join(dir, "engine.log");
  writeFileSync(logFile, "");
  const { openSync } = await import("node:fs");
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, spireArgvWith(ENGINE_FLAGS, "engine", "--listen", "127.0.0.1:0", "--data", join(dir, "data")), {
    stdio: ["ignore", log, log],
    cwd: dir,
    env: spireEnv(),
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const addressFile = join(dir, "data", "engine.json");
  const deadline = Date.now() + 30_000;
  while (!existsSync(addressFile)) {
    if (child.exitCode !== null) throw new Error(`the engine exited ${child.exitCode}: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`the engine did not listen within 30 s: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    await sleep(20);
  }
  await sleep(20); // the file is written whole in one call; give it a moment anyway
  const { url } = JSON.parse(readFileSync(addressFile, "utf8")) as { url: string };
  const token = readFileSync(join(dir, "data", "token"), "utf8").trim();
  return { child, pid: child.pid!, url, token, dir, exited };
}

async function stopEngine(engine: EngineProcess): Promise<void> {
  engine.child.kill("SIGTERM");
  const code = await Promise.race([engine.exited, sleep(30_000).then(() => "timeout" as const)]);
  if (code === "timeout") {
    engine.child.kill("SIGKILL");
    throw new Error("the engine did not exit within 30 s of SIGTERM");
  }
}

// ---------------------------------------------------------------- part 1

interface RunObject {
  id: string;
  state: string;
  created_at: string;
  started_at: string | null;
  tasks: { name: string; state: string; started_at: string | null; outputs: Record<string, string> }[];
}

interface LatencyResult {
  runs: number;
  warmup: number;
  /** POST sent → the task's started_at (stamped by the supervisor just before spawn(); 1 ms resolution). */
  to_spawn_ms: Summary;
  /** POST sent → the task's own first clock reading (`date +%s%N`): spawned, exec'd and running. */
  to_task_running_ms: Summary;
  /** POST sent → 201 answer received. */
  post_answer_ms: Summary;
  /** POST sent → the run's created_at (the engine has parsed, authorised and admitted it; 1 ms resolution). */
  to_created_ms: Summary;
  /** Wall time per run, POST to finished, including waiting for the end and fetching the run object. */
  cycle_ms: Summary;
  clock_drift_us: number;
  /** Steps inside the engine from stored event times (ms resolution; the means are meaningful, single values ±1 ms). */
  steps_ms: Record<string, Summary>;
}

async function latencyPart(engine: EngineProcess, RUNS: number): Promise<{ result: LatencyResult; runId: string }> {
  const { url, token } = engine;
  const yaml = ["pipelines:", "  latency:", "    tasks:", '      t: { exec: [date, "+::output::t=%s%N"] }', ""].join("\n");
  await callJson(url, token, "POST", "/api/v1/apply", { text: yaml, namespace: "bench" });
  const toSpawn: number[] = [];
  const toRunning: number[] = [];
  const postAnswer: number[] = [];
  const toCreated: number[] = [];
  const cycle: number[] = [];
  // Steps inside the engine, from the stored events' ts (ms): created → run.started → task.started (written before launch) → started_at.
  const steps = { created_to_run_started: [] as number[], run_started_to_task_event: [] as number[], task_event_to_spawn: [] as number[] };
  let lastId = "";
  const startOffset = clockOffset;
  for (let index = 0; index < WARMUP + RUNS; index++) {
    const posted = await call(url, token, "POST", "/api/v1/pipelines/bench/latency/runs", {});
    if (posted.status !== 201) throw new Error(`POST runs: ${posted.status} ${posted.body.toString("utf8").slice(0, 500)}`);
    const id = (JSON.parse(posted.body.toString("utf8")) as RunObject).id;
    // The event stream ends after run.finished: one request waits for the end.
    const events = await call(url, token, "GET", `/api/v1/runs/${id}/events`);
    if (events.status !== 200) throw new Error(`GET events: ${events.status}`);
    const run = await callJson<RunObject>(url, token, "GET", `/api/v1/runs/${id}`);
    const task = run.tasks[0];
    if (run.state !== "succeeded" || !task?.started_at || !task.outputs.t) throw new Error(`run ${id} ${run.state}: ${JSON.stringify(run).slice(0, 1000)}`);
    lastId = id;
    if (index < WARMUP) continue;
    const sentMs = Number(posted.sentNs) / 1e6;
    toSpawn.push(Date.parse(task.started_at) - sentMs);
    toRunning.push(Number(BigInt(task.outputs.t) - posted.sentNs) / 1e6);
    postAnswer.push(Number(posted.doneNs - posted.sentNs) / 1e6);
    toCreated.push(Date.parse(run.created_at) - sentMs);
    cycle.push(Number(realtimeNs() - posted.sentNs) / 1e6);
    const ts = new Map<string, number>();
    for (const match of events.body.toString("utf8").matchAll(/^data: (.*)$/gm)) {
      const event = JSON.parse(match[1]!) as { type?: string; ts?: number };
      if (event.type && event.ts !== undefined && !ts.has(event.type)) ts.set(event.type, event.ts);
    }
    steps.created_to_run_started.push(ts.get("run.started")! - Date.parse(run.created_at));
    steps.run_started_to_task_event.push(ts.get("task.started")! - ts.get("run.started")!);
    steps.task_event_to_spawn.push(Date.parse(task.started_at) - ts.get("task.started")!);
  }
  clockOffset = calibrateRealtime();
  const result: LatencyResult = {
    runs: RUNS,
    warmup: WARMUP,
    to_spawn_ms: summarize(toSpawn),
    to_task_running_ms: summarize(toRunning),
    post_answer_ms: summarize(postAnswer),
    to_created_ms: summarize(toCreated),
    cycle_ms: summarize(cycle),
    clock_drift_us: Number(clockOffset - startOffset) / 1000,
    steps_ms: Object.fromEntries(Object.entries(steps).map(([key, values]) => [key, summarize(values)])),
  };
  return { result, runId: lastId };
}

function printLatency(result: LatencyResult): void {
  console.log(`\n1. trigger → first task spawned: ${result.runs} runs of a one-task pipeline, one after another`);
  console.log(`   (each run finishes before the next POST, so nothing queues; ${result.warmup} warm-up runs first, not counted)`);
  console.log(`   method: t0 = the moment the POST's last byte goes to the socket (this process's hrtime tied to the realtime clock);`);
  console.log(`   "spawn" = the task's started_at in GET /runs/{id}, which the supervisor stamps with Date.now() just before spawn()`);
  console.log(`   (1 ms resolution, truncated: read each figure as ±1 ms); "running" = the task's own clock (\`date +%s%N\` as an`);
  console.log(`   ::output::), i.e. spawned, exec'd and running — an upper bound. Same machine, same CLOCK_REALTIME; drift ${fmt(result.clock_drift_us, 1)} µs.`);
  const row = (label: string, s: Summary) =>
    console.log(`   ${label.padEnd(34)} p50 ${fmt(s.p50).padStart(7)}   p90 ${fmt(s.p90).padStart(7)}   p99 ${fmt(s.p99).padStart(7)}   max ${fmt(s.max).padStart(8)} ms`);
  row("POST → 201 received", result.post_answer_ms);
  row("POST → run created_at", result.to_created_ms);
  row("POST → task started_at (spawn)", result.to_spawn_ms);
  row("POST → task running (its clock)", result.to_task_running_ms);
  row("whole cycle (to run finished+GET)", result.cycle_ms);
  console.log(`   inside the engine, from the stored events' times (ms stamps, so read the means):`);
  for (const [key, s] of Object.entries(result.steps_ms)) {
    console.log(`     ${key.replaceAll("_", " ").padEnd(32)} mean ${fmt(s.mean)}   p99 ${fmt(s.p99, 0)}   max ${fmt(s.max, 0)} ms`);
  }
  const p99 = result.to_spawn_ms.p99;
  // Issue 18's target; the earlier one (≤ 10 ms) was met and tightened.
  console.log(`   target p99 ≤ 5 ms (to spawn): ${p99 <= 5 ? "met" : "NOT met"} (${fmt(p99)} ms; to running: ${fmt(result.to_task_running_ms.p99)} ms)`);
}

// ---------------------------------------------------------------- part 2

interface LoadResult {
  requests_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  latency_max_ms: number;
  total: number;
  non2xx: number;
  errors: number;
  /** CPU time the server process used over the test, ms, and per request, µs. */
  server_cpu_ms: number;
  server_cpu_us_per_request: number;
}

interface GetResult {
  path: string;
  body_bytes: number;
  connections: number;
  duration_s: number;
  /** Engine then bare, one pair per round, each `duration_s` long. */
  rounds: { engine: LoadResult; bare: LoadResult; ratio: number }[];
  /** The median pair's ratio. */
  ratio: number;
  /** Bare CPU per request over the engine's, median of the rounds. */
  cpu_ratio: number;
}

async function load(url: string, token: string, pid: number): Promise<LoadResult> {
  const before = sampleProcess(pid)!;
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers: { authorization: `Bearer ${token}` } });
  const after = sampleProcess(pid)!;
  const cpu = after.cpuMs - before.cpuMs;
  return {
    requests_per_s: result.requests.average,
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    latency_max_ms: result.latency.max,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    server_cpu_ms: cpu,
    server_cpu_us_per_request: (cpu * 1000) / Math.max(1, result.requests.total),
  };
}

async function startBare(dir: string, path: string, answer: Answer): Promise<{ child: ChildProcess; port: number }> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(answer.headers)) {
    if (["date", "connection", "keep-alive", "content-length", "transfer-encoding"].includes(key) || value === undefined) continue;
    headers[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  const file = join(dir, "bare-answer.json");
  writeFileSync(file, JSON.stringify({ path, headers, body: answer.body.toString("base64") }));
  const script = fileURLToPath(new URL("./api-bare-server.js", import.meta.url));
  const child = spawn(process.execPath, [script, file], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      const match = /port (\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`the bare server exited ${code}`)));
  });
  return { child, port };
}

async function getPart(engine: EngineProcess, runId: string, dir: string): Promise<GetResult> {
  const path = `/api/v1/runs/${runId}`;
  const answer = await call(engine.url, engine.token, "GET", path);
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status}`);
  const bare = await startBare(dir, path, answer);
  try {
    const bareAnswer = await call(`http://127.0.0.1:${bare.port}`, engine.token, "GET", path);
    if (!bareAnswer.body.equals(answer.body)) throw new Error("the bare server's answer differs from the engine's");
    // Short warm-ups (JIT, connection setup), then the measured runs, engine first.
    await autocannon({ url: `${engine.url}${path}`, connections: CONNECTIONS, duration: 2, headers: { authorization: `Bearer ${engine.token}` } });
    await autocannon({ url: `http://127.0.0.1:${bare.port}${path}`, connections: CONNECTIONS, duration: 2 });
    const rounds: GetResult["rounds"] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const engineLoad = await load(`${engine.url}${path}`, engine.token, engine.pid);
      const bareLoad = await load(`http://127.0.0.1:${bare.port}${path}`, engine.token, bare.child.pid!);
      if (engineLoad.non2xx || engineLoad.errors) throw new Error(`the engine answered ${engineLoad.non2xx} non-2xx, ${engineLoad.errors} errors`);
      rounds.push({ engine: engineLoad, bare: bareLoad, ratio: engineLoad.requests_per_s / bareLoad.requests_per_s });
    }
    const ratios = rounds.map((pair) => pair.ratio).sort((a, b) => a - b);
    const cpuRatios = rounds.map((pair) => pair.bare.server_cpu_us_per_request / pair.engine.server_cpu_us_per_request).sort((a, b) => a - b);
    return {
      path: "/api/v1/runs/{id} (one-task run)",
      body_bytes: answer.body.length,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      rounds,
      ratio: percentile(ratios, 50),
      cpu_ratio: percentile(cpuRatios, 50),
    };
  } finally {
    bare.child.kill("SIGTERM");
  }
}

function printGet(result: GetResult): void {
  console.log(`\n2. GET /api/v1/runs/{id} throughput: autocannon, ${result.connections} connections, ${result.duration_s} s each, bearer token;`);
  console.log(`   the same ${result.body_bytes}-byte answer (and headers) from a bare node:http server in a child process, same run;`);
  console.log(`   ${result.rounds.length} rounds of engine then bare`);
  const row = (label: string, r: LoadResult) =>
    console.log(
      `   ${label.padEnd(8)} ${r.requests_per_s.toFixed(0).padStart(7)} req/s   p50 ${String(r.latency_p50_ms).padStart(3)} ms   p99 ${String(r.latency_p99_ms).padStart(3)} ms   max ${String(r.latency_max_ms).padStart(4)} ms   server CPU ${r.server_cpu_us_per_request.toFixed(0).padStart(4)} µs/request`,
    );
  result.rounds.forEach((pair, index) => {
    console.log(`   round ${index + 1}`);
    row("engine", pair.engine);
    row("bare", pair.bare);
    console.log(`   ratio    ${pair.ratio.toFixed(2)}×`);
  });
  console.log(`   median ratio ${result.ratio.toFixed(2)}× the bare server   (target ≥ 0.8×: ${result.ratio >= 0.8 ? "met" : "NOT met"})`);
  console.log(`   CPU per request: the bare server's is ${result.cpu_ratio.toFixed(2)}× the engine's (median of the rounds)`);
}

// ---------------------------------------------------------------- part 3

interface ProcessAtRest {
  pid: number;
  rss_mb: { first: number; min: number; max: number; last: number };
  hwm_mb: number;
  cpu_ms: number;
  cpu_percent_of_core: number;
  wakeups_per_s: number;
  threads: number;
}

interface RestResult {
  pipelines: number;
  settle_s: number;
  window_s: number;
  samples: number;
  rss_before_apply_mb: number;
  /** The engine's RSS each second of the settle, from the apply on, MB. */
  settle_rss_series_mb: number[];
  engine: ProcessAtRest;
  supervisor: ProcessAtRest | null;
  total_rss_mb: number;
  /** The engine and its supervisor at the end of the window, counted together. */
  together: PairMemory | null;
  /** Two bare node processes, measured before the engine started. */
  bare_pair: PairMemory | null;
  /** The engine's RSS at each 1 s sample, MB. */
  engine_rss_series_mb: number[];
  /** The engine's CPU time in each 10 s of the window, ms (a one-off collection shows as one slice). */
  engine_cpu_per_10s_ms: number[];
}

function generatePipelines(count: number): string {
  const lines = ["namespace: rest", "pipelines:"];
  for (let index = 0; index < count; index++) {
    lines.push(`  p${index}:`, `    description: generated pipeline ${index}`);
    // Triggers that do not fire during a benchmark: once a year, a webhook.
    lines.push("    triggers:", `      - cron: "${index % 60} ${index % 24} 1 1 *"`, ...(index % 2 ? ["      - webhook: true"] : []));
    lines.push("    args:", `      target: { default: "/tmp/target-${index}" }`);
    lines.push("    tasks:");
    lines.push(`      fetch: { run: "echo fetch ${index}", retries: { max: 2 } }`);
    lines.push(`      build: { needs: [fetch], exec: [sh, -c, "echo build $1", sh, "\${{ args.target }}"], timeout: 5m }`);
    lines.push(`      report: { needs: [build], python: "print('::metric::n=${index}')" }`);
  }
  return lines.join("\n") + "\n";
}

async function restPart(engine: EngineProcess, barePair: PairMemory | null): Promise<RestResult> {
  const beforeApply = sampleProcess(engine.pid)!;
  const changes = await callJson<{ created: string[] }>(engine.url, engine.token, "POST", "/api/v1/apply", { text: generatePipelines(PIPELINES) });
  if (changes.created.length !== PIPELINES) throw new Error(`apply created ${changes.created.length} pipelines, not ${PIPELINES}`);
  await callJson(engine.url, engine.token, "GET", "/api/v1/pipelines");
  // The settle: V8 gives back what the apply used only when its memory reducer
  // runs, ~10–20 s later. Sampled too, so the apply's own peak is reported.
  const settling: number[] = [];
  const settleStart = performance.now();
  for (let second = 0; second < SETTLE_S; second++) {
    const sample = sampleProcess(engine.pid);
    if (sample) settling.push(sample.rssBytes / MB);
    await sleep(settleStart + (second + 1) * 1000 - performance.now());
  }
  const supervisorPid = childrenOf(engine.pid).find((pid) => sampleProcess(pid)?.comm.startsWith("node")) ?? childrenOf(engine.pid)[0];
  const pids = [engine.pid, ...(supervisorPid ? [supervisorPid] : [])];
  const series = new Map<number, ProcSample[]>(pids.map((pid) => [pid, []]));
  const wakeStart = new Map(pids.map((pid) => [pid, wakeups(pid)]));
  const started = performance.now();
  for (let second = 0; second <= REST_S; second++) {
    for (const pid of pids) {
      const sample = sampleProcess(pid);
      if (sample) series.get(pid)!.push(sample);
    }
    if (second < REST_S) await sleep(started + (second + 1) * 1000 - performance.now());
  }
  const elapsedS = (performance.now() - started) / 1000;
  const summarizeProcess = (pid: number): ProcessAtRest => {
    const samples = series.get(pid)!;
    const rss = samples.map((sample) => sample.rssBytes / MB);
    const cpu = samples[samples.length - 1]!.cpuMs - samples[0]!.cpuMs;
    return {
      pid,
      rss_mb: { first: rss[0]!, min: Math.min(...rss), max: Math.max(...rss), last: rss[rss.length - 1]! },
      hwm_mb: samples[samples.length - 1]!.hwmBytes / MB,
      cpu_ms: cpu,
      cpu_percent_of_core: (cpu / (elapsedS * 1000)) * 100,
      wakeups_per_s: (wakeups(pid) - wakeStart.get(pid)!) / elapsedS,
      threads: samples[samples.length - 1]!.threads,
    };
  };
  const engineAtRest = summarizeProcess(engine.pid);
  const supervisor = supervisorPid ? summarizeProcess(supervisorPid) : null;
  const together = pairMemory([{ label: "engine", pid: engine.pid }, ...(supervisorPid ? [{ label: "supervisor", pid: supervisorPid }] : [])]) ?? null;
  return {
    pipelines: PIPELINES,
    settle_s: SETTLE_S,
    window_s: elapsedS,
    samples: series.get(engine.pid)!.length,
    rss_before_apply_mb: beforeApply.rssBytes / MB,
    settle_rss_series_mb: settling.map((mb) => Math.round(mb * 10) / 10),
    engine: engineAtRest,
    supervisor,
    total_rss_mb: engineAtRest.rss_mb.last + (supervisor?.rss_mb.last ?? 0),
    together,
    bare_pair: barePair,
    engine_rss_series_mb: series.get(engine.pid)!.map((sample) => Math.round((sample.rssBytes / MB) * 10) / 10),
    engine_cpu_per_10s_ms: cpuSlices(series.get(engine.pid)!, 10),
  };
}

/** CPU time used in each `seconds` of 1 s samples. */
function cpuSlices(samples: ProcSample[], seconds: number): number[] {
  const slices: number[] = [];
  for (let start = 0; start + seconds < samples.length; start += seconds) slices.push(samples[start + seconds]!.cpuMs - samples[start]!.cpuMs);
  return slices;
}

function printRest(result: RestResult): void {
  console.log(`\n3. the engine at rest: ${result.pipelines} generated pipelines applied (3 tasks, a yearly cron, half with a webhook),`);
  console.log(`   ${result.settle_s} s to settle, then /proc/<pid>/stat and /status sampled every 1 s for ${result.window_s.toFixed(0)} s (${result.samples} samples)`);
  const row = (label: string, p: ProcessAtRest) =>
    console.log(
      `   ${label.padEnd(11)} pid ${String(p.pid).padEnd(7)} RSS ${fmt(p.rss_mb.last, 1).padStart(5)} MB (min ${fmt(p.rss_mb.min, 1)}, max ${fmt(p.rss_mb.max, 1)}; peak ever ${fmt(p.hwm_mb, 1)})   CPU ${fmt(p.cpu_ms, 0)} ms = ${fmt(p.cpu_percent_of_core, 3)} % of a core   ${fmt(p.wakeups_per_s, 1)} wake-ups/s   ${p.threads} threads`,
    );
  console.log(`   engine RSS before the apply: ${fmt(result.rss_before_apply_mb, 1)} MB`);
  const settle = result.settle_rss_series_mb;
  const restLevel = result.engine.rss_mb.max;
  const settledAfter = settle.findIndex((mb, index) => settle.slice(index).every((later) => later <= restLevel + 1));
  console.log(
    `   during the settle (from the apply, every 1 s): ${settle.map((mb) => mb.toFixed(0)).join(" ")} MB; peak ${fmt(Math.max(...settle), 1)} MB, ` +
      (settledAfter >= 0 ? `at the rest level from ${settledAfter} s after the apply (V8's memory reducer)` : "not yet at the rest level when the window began"),
  );
  row("engine", result.engine);
  if (result.supervisor) row("supervisor", result.supervisor);
  else console.log("   supervisor: not found among the engine's children");
  const every = Math.max(1, Math.round(result.engine_rss_series_mb.length / 12));
  console.log(`   engine RSS over the window (every ${every} s): ${result.engine_rss_series_mb.filter((_, i) => i % every === 0).map((mb) => mb.toFixed(0)).join(" ")} MB`);
  console.log(`   engine CPU in each 10 s of the window: ${result.engine_cpu_per_10s_ms.join(" ")} ms`);
  if (result.together) printPair("the two together, at the end of the window:", result.together);
  if (result.bare_pair) printPair("the floor: two bare `node -e 'setInterval(()=>{},1000)'`, measured before the engine started:", result.bare_pair);
  const together = result.together;
  const memoryMet = together !== null && together.judged_mb <= 80;
  const judged = together === null ? "not measured" : `${fmt(together.judged_mb, 1)} MB ${together.judged === "union" ? "of pages counted once" : "PSS sum"}`;
  const floor = result.bare_pair ? `; the bare pair: ${fmt(result.bare_pair.judged_mb, 1)} MB` : "";
  const cpuMet = result.engine.cpu_percent_of_core + (result.supervisor?.cpu_percent_of_core ?? 0) < 0.1;
  console.log(`   targets: engine and supervisor together ≤ 80 MB: ${memoryMet ? "met" : "NOT met"} (${judged}${floor}); CPU ≈ 0 (< 0.1 % of a core, both): ${cpuMet ? "met" : "NOT met"}`);
  for (const line of JUDGED_EXPLANATION) console.log(`   ${line}`);
  console.log(`   (CPU time is counted in 10 ms ticks: over ${result.window_s.toFixed(0)} s one tick is ${fmt(1000 / (result.window_s * 10), 3)} % of a core)`);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-api-"));
  console.log(`bench/api: a real engine process (node ${spireArgv("engine").join(" ")}), data in ${dir}`);
  console.log(`machine: ${machine()}`);
  if (ENGINE_FLAGS.length) console.log(`engine node flags: ${ENGINE_FLAGS.join(" ")}`);
  // The floor, before the engine starts: the bare pair's PSS is then not shared with it.
  const barePair = PARTS.has("rest") ? await bareNodePair() : null;
  const engine = await startEngine(dir);
  // Other work on the machine shows in the tails: the load average is printed before each part.
  const load = (label: string) => console.log(`\n[load average before ${label}: ${loadavg().map((value) => value.toFixed(2)).join(", ")}]`);
  const results: Record<string, unknown> = { runs: RUNS, connections: CONNECTIONS, duration_s: DURATION_S };
  try {
    // At rest first, on the fresh engine, so the figure is not the leftover of the load parts.
    if (PARTS.has("rest")) {
      load("part 3");
      const rest = await restPart(engine, barePair);
      printRest(rest);
      results.rest = rest;
    }
    let runId: string | undefined;
    if (PARTS.has("latency") || PARTS.has("get")) {
      load("part 1");
      const latency = await latencyPart(engine, PARTS.has("latency") ? RUNS : 1);
      if (PARTS.has("latency")) {
        printLatency(latency.result);
        results.latency = latency.result;
      }
      runId = latency.runId;
    }
    if (PARTS.has("get") && runId) {
      load("part 2");
      const get = await getPart(engine, runId, dir);
      printGet(get);
      results.get = get;
    }
    const after = sampleProcess(engine.pid)!;
    results.engine_rss_after_load_mb = after.rssBytes / MB;
    console.log(`\nengine RSS after all parts: ${fmt(after.rssBytes / MB, 1)} MB (peak ${fmt(after.hwmBytes / MB, 1)} MB)`);
  } finally {
    await stopEngine(engine);
    http.destroy();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
  const file = saveResult(PARTS.size === 3 ? "api" : `api-${[...PARTS].join("-")}`, results);
  console.log(`saved ${file}`);
}

await main();
