/**
 * bench/postgres: Spire on PostgreSQL against graphile-worker and pg-boss
 * doing the same work on the same server in the same run, each system in a
 * schema of its own (dropped at the end). The work is one process per run
 * or job: a Spire pipeline with one task `exec: ["true"]`; for the peers a
 * job handler that spawns /bin/true with child_process and awaits its exit.
 *
 *  1. Throughput: N runs submitted as fast as the client can (10 requests
 *     in flight), until the database says all ended (looked at every 5 ms near the end, less often before).
 *     Spire with one engine (--parallelism P), with two engines on one schema
 *     (the POSTs spread over them; P each), graphile-worker (one worker
 *     process, concurrency P) and pg-boss (one worker process, P workers).
 *     A warm-up batch each, then rounds in a rotated order; medians.
 *  4. (measured with 1) PostgreSQL's CPU per run: utime+stime from /proc of
 *     the backends serving the system (its processes' connections, found
 *     by their client ports, and the bench's client pool of a peer), before
 *     and after each batch; also the whole server's, which includes the
 *     checkpointer, the WAL writer and anyone else's connections.
 *  2. Trigger → spawn: one run or job at a time, the three in turn, each
 *     turn after the last system's job has ended in the database: from the
 *     moment the request leaves (the POST's last byte; the peers' addJob /
 *     send call) to the moment just before spawn() (Spire's task
 *     started_at, stamped by its supervisor; the peer handler's own clock),
 *     and to the process's own `date +%s%N`. p50/p99.
 *  3. Failover: two engines, --leader-lease 10s, `every: 1s`; the leader
 *     killed with -9, later the next one stopped with SIGTERM, F times each:
 *     until the other says it leads, and until its first run (see
 *     bench/postgres-failover.ts).
 *
 *   npm run build && node dist/bench/postgres.js [--runs 500] [--warmup 50] [--rounds 3] [--parallelism 4]
 *       [--latency-runs 200] [--failovers 2] [--only throughput,latency,failover]
 *       [--pgboss-batch 50] [--engine-flags="--cpu-prof --cpu-prof-dir=DIR"] [--keep]
 *       [--waits]       what the systems' backends wait on, sampled during each batch (bench/pg-waits.ts)
 *       [--statements]  the statements each Spire engine sends, per run (bench/pg-statements.ts)
 *
 * PostgreSQL: SPIRE_TEST_POSTGRES, else postgres://postgres@127.0.0.1:5432/test
 * (the local server, trust auth). Linux only (/proc).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { apiClient } from "./http.js";
import { calibrateRealtime, machine, REPO_ROOT, saveResult, summarize, type Summary } from "./lib.js";
import { cpuBetween, snapshot, type ServerCpu } from "./pg-cpu.js";
import type { StatementTally } from "./pg-statements.js";
import { sampleWaits, type Waits } from "./pg-waits.js";
import { failoverPart, type Failover, type Handover } from "./postgres-failover.js";
import { startGraphile, startPgBoss, startSpire, stopEngine, stopOrphanSupervisor, type BenchContext, type System } from "./postgres-systems.js";
import { sampleProcess } from "./proc.js";

const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "500" },
    warmup: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
    parallelism: { type: "string", default: "4" },
    "in-flight": { type: "string", default: "10" },
    "latency-runs": { type: "string", default: "200" },
    "latency-warmup": { type: "string", default: "10" },
    failovers: { type: "string", default: "2" },
    only: { type: "string", default: "throughput,latency,failover" },
    systems: { type: "string", default: "spire1,spire2,graphile,pgboss" },
    "pgboss-batch": { type: "string", default: "50" },
    "engine-flags": { type: "string", default: "" },
    waits: { type: "boolean", default: false },
    statements: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const RUNS = Number(options.runs);
const WARMUP = Number(options.warmup);
const ROUNDS = Number(options.rounds);
const IN_FLIGHT = Number(options["in-flight"]);
const LATENCY_RUNS = Number(options["latency-runs"]);
const LATENCY_WARMUP = Number(options["latency-warmup"]);
const PARTS = new Set(options.only.split(","));
const WANTED = new Set(options.systems.split(","));
const URL_ = process.env.SPIRE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const SERVER_PORT = Number(new URL(URL_).port || 5432);
/** The bench's own connections: counted for no system. */
const MINE = ["spire bench admin", "spire bench poll"];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
const clockOffset = calibrateRealtime();
const realtimeNs = () => process.hrtime.bigint() + clockOffset;

// ---------------------------------------------------------------- 1 and 4. throughput, PostgreSQL's CPU

interface Batch {
  ms: number;
  /** The last submission's answer, from the first submission. */
  submitMs: number;
  pg: ServerCpu;
  /** CPU ms of the system's own processes by role (engine, supervisor; worker). */
  processesMs: Record<string, number>;
  waits?: Waits;
}

function processCpu(roles: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(roles).map(([role, pids]) => [role, pids.reduce((total, pid) => total + (sampleProcess(pid)?.cpuMs ?? 0), 0)]));
}

/**
 * The next look at the database: half the time the open runs or jobs should take at the rate so far, between 5 and
 * 100 ms. Near the end it looks every 5 ms, as the figure's resolution asks, but a long tail is not counted 200 times
 * a second on the cores the systems measured share (each look counts a whole table: Spire's runs stay in it).
 */
function untilNextLook(open: number, count: number, elapsedMs: number): number {
  const perMs = Math.max(count - open, 1) / elapsedMs;
  return Math.min(100, Math.max(5, open / perMs / 2));
}

async function batch(context: BenchContext, poll: pg.Pool, system: System, count: number, watchWaits = false): Promise<Batch> {
  const before = await snapshot(context.admin, system.attribution(), MINE, SERVER_PORT);
  const roles = system.processes();
  const processesBefore = processCpu(roles);
  const waits = watchWaits ? sampleWaits(context.admin, system.attribution(), SERVER_PORT) : undefined;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await system.submit(next++);
    }),
  );
  const submitMs = performance.now() - started;
  for (const deadline = Date.now() + 120_000; ; ) {
    const { open, failed } = await system.pending(poll);
    if (failed > 0) throw new Error(`${system.label}: ${failed} runs or jobs ended other than well`);
    if (open === 0) break;
    if (Date.now() > deadline) throw new Error(`${system.label}: ${open} of ${count} not ended after 120 s`);
    await sleep(untilNextLook(open, count, performance.now() - started));
  }
  const ms = performance.now() - started;
  const processesMs = Object.fromEntries(Object.entries(processCpu(roles)).map(([role, cpu]) => [role, cpu - processesBefore[role]!]));
  const waited = await waits?.stop();
  const after = await snapshot(context.admin, system.attribution(), MINE, SERVER_PORT);
  return { ms, submitMs, pg: cpuBetween(before, after), processesMs, ...(waited ? { waits: waited } : {}) };
}

async function throughputPart(context: BenchContext, poll: pg.Pool, systems: System[]): Promise<Record<string, Batch[]>> {
  const batches: Record<string, Batch[]> = Object.fromEntries(systems.map((system) => [system.key, []]));
  // Not counted: the JIT, the pools' connections, the tables' first pages.
  for (const system of systems) await batch(context, poll, system, WARMUP);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated: whichever goes first meets a different machine each round.
    for (const system of systems.map((_, index) => systems[(index + round) % systems.length]!)) {
      const result = await batch(context, poll, system, RUNS, options.waits);
      batches[system.key]!.push(result);
      console.log(`   round ${round + 1} ${system.label}: ${fmt(RUNS / (result.ms / 1000), 0)} runs/s (load ${load()})`);
    }
  }
  return batches;
}

function printThroughput(systems: System[], batches: Record<string, Batch[]>): Record<string, unknown> {
  console.log(`\n1. throughput: ${RUNS} runs, ${IN_FLIGHT} submissions in flight, until the database says all ended; median of ${ROUNDS} rotated rounds`);
  console.log(`4. PostgreSQL CPU per run (utime+stime, 10 ms ticks over the batch): the system's backends · the whole server (others' connections)`);
  const rows: Record<string, unknown> = {};
  for (const system of systems) {
    const list = batches[system.key]!;
    const ms = median(list.map((b) => b.ms));
    const perRun = (value: (b: Batch) => number) => median(list.map(value)) / RUNS;
    const row = {
      runs_per_s: RUNS / (ms / 1000),
      rounds_runs_per_s: list.map((b) => RUNS / (b.ms / 1000)),
      submit_ms: median(list.map((b) => b.submitMs)),
      pg_cpu_ms_per_run: perRun((b) => b.pg.ours),
      server_cpu_ms_per_run: perRun((b) => b.pg.server),
      others_cpu_ms: list.map((b) => b.pg.others),
      backends: median(list.map((b) => b.pg.backends)),
      processes_cpu_ms_per_run: Object.fromEntries(Object.keys(list[0]!.processesMs).map((role) => [role, perRun((b) => b.processesMs[role]!)])),
    };
    rows[system.key] = row;
    const own = Object.entries(row.processes_cpu_ms_per_run);
    console.log(`   ${system.label.padEnd(44)} ${fmt(row.runs_per_s, 0).padStart(5)} runs/s (rounds ${row.rounds_runs_per_s.map((v) => fmt(v, 0)).join(", ")}; all submitted after ${fmt(row.submit_ms, 0)} ms)`);
    console.log(
      `   ${"".padEnd(44)} PostgreSQL ${fmt(row.pg_cpu_ms_per_run, 2)} ms/run (${row.backends} backends; whole server ${fmt(row.server_cpu_ms_per_run, 2)}, others' connections ${row.others_cpu_ms.map((v) => fmt(v, 0)).join("/")} ms in all)` +
        `; its processes ${own.map(([role, ms]) => `${role} ${fmt(ms, 2)}`).join(" + ")} = ${fmt(own.reduce((sum, [, ms]) => sum + ms, 0), 2)} ms/run`,
    );
    const waits = list.map((b) => b.waits).filter((w): w is Waits => w !== undefined);
    if (waits.length > 0) {
      const keys = [...new Set(waits.flatMap((w) => Object.keys(w.mean)))];
      const mean = Object.fromEntries(keys.map((key) => [key, median(waits.map((w) => w.mean[key] ?? 0))]));
      (row as Record<string, unknown>).backends_busy = mean;
      const top = Object.entries(mean).sort((a, b) => b[1] - a[1]).slice(0, 5);
      console.log(`   ${"".padEnd(44)} its backends, on average (pg_stat_activity every 20 ms): ${top.map(([key, n]) => `${fmt(n, 2)} ${key}`).join(", ")}`);
    }
  }
  const rate = (key: string) => (rows[key] as { runs_per_s: number } | undefined)?.runs_per_s ?? NaN;
  const peers = ["graphile", "pgboss"].filter((key) => rows[key]);
  const best = peers.sort((a, b) => rate(b) - rate(a))[0];
  if (best !== undefined) {
    for (const key of ["spire1", "spire2"].filter((k) => rows[k])) {
      const ratio = rate(key) / rate(best);
      rows[`ratio_${key}`] = ratio;
      console.log(`   ratio ${key} ÷ ${best} (the better peer): ${fmt(ratio, 2)}×  target ≥ 1.0×: ${ratio >= 1 ? "met" : "NOT met"}`);
    }
    rows.better_peer = best;
  }
  return rows;
}

// ---------------------------------------------------------------- 2. trigger → spawn

async function latencyPart(poll: pg.Pool, systems: System[]): Promise<Record<string, { spawn: Summary; running: Summary }>> {
  const samples = new Map(systems.map((system) => [system.key, { spawn: [] as number[], running: [] as number[] }]));
  for (let index = 0; index < LATENCY_WARMUP + LATENCY_RUNS; index++) {
    for (const system of systems.map((_, at) => systems[(at + index) % systems.length]!)) {
      const { sentNs, spawnNs, ranNs } = await system.once();
      // A peer reports its job's process before it marks the job done: the next system's turn waits for
      // that, so that no system is measured while another's job still settles (Spire's ends with its run).
      await settled(poll, system);
      if (index < LATENCY_WARMUP) continue;
      samples.get(system.key)!.spawn.push(Number(spawnNs - sentNs) / 1e6);
      samples.get(system.key)!.running.push(Number(ranNs - sentNs) / 1e6);
    }
  }
  return Object.fromEntries([...samples].map(([key, { spawn, running }]) => [key, { spawn: summarize(spawn), running: summarize(running) }]));
}

/** Until the database says the system's jobs have all ended (polled every 1 ms; a job that never does fails the bench). */
async function settled(poll: pg.Pool, system: System): Promise<void> {
  const deadline = performance.now() + 30_000;
  while ((await system.pending(poll)).open > 0) {
    if (performance.now() > deadline) throw new Error(`${system.label}: a job still open 30 s after it ran`);
    await sleep(1);
  }
}

function printLatency(systems: System[], result: Record<string, { spawn: Summary; running: Summary }>): Record<string, unknown> {
  console.log(`\n2. trigger → spawn: ${LATENCY_RUNS} one-process runs or jobs each, one at a time, the systems in turn (${LATENCY_WARMUP} warm-up each)`);
  console.log(`   t0: the request leaves (Spire: the POST's last byte; peers: the addJob/send call). spawn: just before spawn() (Spire: the`);
  console.log(`   task's started_at, ms; peers: the handler's clock). running: the process's own \`date +%s%N\`. ms:`);
  console.log(`   ${"".padEnd(44)} ${"spawn p50".padStart(9)} ${"p90".padStart(6)} ${"p99".padStart(6)} ${"max".padStart(6)}   ${"running p50".padStart(11)} ${"p99".padStart(6)}`);
  for (const system of systems) {
    const { spawn, running } = result[system.key]!;
    console.log(`   ${system.label.padEnd(44)} ${fmt(spawn.p50).padStart(9)} ${fmt(spawn.p90).padStart(6)} ${fmt(spawn.p99).padStart(6)} ${fmt(spawn.max).padStart(6)}   ${fmt(running.p50).padStart(11)} ${fmt(running.p99).padStart(6)}`);
  }
  const spire = result.spire1?.spawn;
  const targets = spire ? { p50_met: spire.p50 <= 5, p99_met: spire.p99 <= 20 } : {};
  if (spire) console.log(`   targets for Spire p50 ≤ 5 ms: ${targets.p50_met ? "met" : "NOT met"} (${fmt(spire.p50)}); p99 ≤ 20 ms: ${targets.p99_met ? "met" : "NOT met"} (${fmt(spire.p99)})`);
  return { ...result, ...targets };
}

// ---------------------------------------------------------------- 3. failover

function printFailover(failover: Failover): Record<string, unknown> {
  const { handovers } = failover;
  console.log(`\n3. failover: two engines, --leader-lease 10s, a pipeline every: 1s (the lines above as they happened)`);
  const result: Record<string, unknown> = { ...failover };
  for (const [how, target] of [
    ["kill -9", 15_000],
    ["SIGTERM", 1_000],
  ] as const) {
    const list = handovers.filter((h) => h.how === how);
    if (list.length === 0) continue;
    const lead = median(list.map((h) => h.leadMs));
    const run = median(list.map((h) => h.runMs));
    const late = median(list.map((h) => h.runLateMs));
    const worst = Math.max(...list.map((h) => h.leadMs));
    result[how === "kill -9" ? "kill9" : "sigterm"] = { lead_ms: lead, run_ms: run, run_late_ms: late, worst_lead_ms: worst, target_ms: target, met: worst <= target };
    const each = (value: (h: Handover) => number) => list.map((h) => fmt(value(h), 0)).join(", ");
    console.log(`   ${how.padEnd(8)} the other leads after ${each((h) => h.leadMs)} ms; its first run after ${each((h) => h.runMs)} ms, ${each((h) => h.runLateMs)} ms after its slot; target ≤ ${target / 1000} s: ${worst <= target ? "met" : "NOT met"}`);
  }
  console.log(`   slots from the first run to the last: ${failover.slots}; without a run: ${failover.missed} (catchup: latest, the default, runs the latest missed slot only); run twice: ${failover.doubled}`);
  return result;
}

// ---------------------------------------------------------------- --statements

interface EngineStatements {
  key: string;
  label: string;
  made: number;
  pids: number[];
}

/** What the Spire engines sent PostgreSQL (bench/pg-statements.ts, written as each engine exited), per run they made. */
function printStatements(prefix: string, engines: EngineStatements[]): Record<string, unknown> {
  console.log(`\nstatements the Spire engines sent (node-postgres calls, counted in the engines: --statements), per run made:`);
  const result: Record<string, unknown> = {};
  for (const { key, label, made, pids } of engines) {
    const byText = new Map<string, { count: number; ms: number }>();
    for (const pid of pids) {
      let tallies: StatementTally[];
      try {
        tallies = JSON.parse(readFileSync(`${prefix}.${pid}.json`, "utf8")) as StatementTally[];
      } catch {
        continue;
      }
      for (const { text, count, ms } of tallies) {
        const sum = byText.get(text) ?? { count: 0, ms: 0 };
        byText.set(text, { count: sum.count + count, ms: sum.ms + ms });
      }
    }
    const total = [...byText.values()].reduce((sum, tally) => sum + tally.count, 0);
    const commits = byText.get("COMMIT")?.count ?? 0;
    const top = [...byText].sort((a, b) => b[1].count - a[1].count).slice(0, 12);
    result[key] = { runs: made, statements_per_run: total / made, commits_per_run: commits / made, top: top.map(([text, tally]) => ({ text, per_run: tally.count / made, mean_ms: tally.ms / tally.count })) };
    console.log(`   ${label}: ${made} runs, ${fmt(total / made)} statements and ${fmt(commits / made)} COMMITs per run; the most frequent (per run, mean ms from call to answer):`);
    for (const [text, tally] of top) console.log(`     ${fmt(tally.count / made, 2).padStart(6)}  ${fmt(tally.ms / tally.count, 2).padStart(6)} ms  ${text.slice(0, 90)}`);
  }
  return result;
}

// ---------------------------------------------------------------- main

async function startSystems(context: BenchContext): Promise<System[]> {
  const systems: System[] = [];
  const starters: [string, () => Promise<System>][] = [
    ["spire1", () => startSpire(context, "spire1", `Spire, 1 engine (--parallelism ${context.parallelism})`, 1)],
    ["spire2", () => startSpire(context, "spire2", `Spire, 2 engines (--parallelism ${context.parallelism} each)`, 2)],
    ["graphile", () => startGraphile(context)],
    ["pgboss", () => startPgBoss(context)],
  ];
  try {
    for (const [key, start] of starters) if (WANTED.has(key)) systems.push(await start());
  } catch (error) {
    await Promise.all(systems.map((system) => system.stop()));
    throw error;
  }
  return systems;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-postgres-"));
  const admin = new pg.Pool({ connectionString: URL_, max: 2, application_name: MINE[0] });
  const poll = new pg.Pool({ connectionString: URL_, max: 1, application_name: MINE[1] });
  const context: BenchContext = {
    url: URL_,
    admin,
    dir,
    http: apiClient(realtimeNs, 2 * Number(options["in-flight"])),
    realtimeNs,
    parallelism: Number(options.parallelism),
    batch: Math.max(RUNS, WARMUP),
    pgbossBatch: Number(options["pgboss-batch"]),
    engineFlags: [...options["engine-flags"].split(" ").filter(Boolean), ...(options.statements ? [`--import=${join(REPO_ROOT, "dist", "bench", "pg-statements.js")}`] : [])],
    schemas: new Set(),
    engines: new Set(),
  };
  const version = await admin.query<{ server_version: string }>("SHOW server_version").then(
    (answer) => answer.rows[0]!.server_version,
    async (error: Error) => {
      await Promise.all([admin.end(), poll.end()]);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL does not answer at ${new URL(URL_).host} (${error.message}): start it, or set SPIRE_TEST_POSTGRES to a database the bench may make schemas in`);
    },
  );
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  console.log(`bench/postgres: Spire (commit ${commit}) against graphile-worker and pg-boss on PostgreSQL ${version} at ${new URL(URL_).host}, data in ${dir}`);
  console.log(`machine: ${machine()}; load average before: ${load()}`);
  if (context.engineFlags.length) console.log(`engine node flags: ${context.engineFlags.join(" ")}`);
  const results: Record<string, unknown> = { commit, postgres: version, runs: RUNS, rounds: ROUNDS, parallelism: context.parallelism, in_flight: IN_FLIGHT, latency_runs: LATENCY_RUNS, pgboss_batch: context.pgbossBatch, load_before: loadavg() };
  let systems: System[] = [];
  // Each system and schema is taken off its list before the awaits: a Ctrl-C's clean-up and main's may overlap.
  const cleanUp = async () => {
    const stopping = systems;
    systems = [];
    await Promise.all(stopping.map((system) => system.stop().catch((error: Error) => console.error(`stopping ${system.label}: ${error.message}`))));
    const schemas = [...context.schemas];
    context.schemas.clear();
    if (schemas.length > 0) await admin.query(`DROP SCHEMA IF EXISTS ${schemas.join(", ")} CASCADE`);
  };
  const interrupted = async () => {
    console.error("interrupted: stopping what the bench started");
    const engines = [...context.engines];
    // The engines first (the failover part's are no system's), then the schemas they use.
    await Promise.all(engines.map(stopEngine));
    for (const engine of engines) stopOrphanSupervisor(engine.data);
    await cleanUp();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  const onInterrupt = () => void interrupted();
  process.once("SIGINT", onInterrupt);
  const statementsPrefix = join(dir, "statements");
  if (options.statements) process.env.SPIRE_BENCH_PG_STATEMENTS = statementsPrefix;
  try {
    if (PARTS.has("throughput") || PARTS.has("latency")) systems = await startSystems(context);
    if (PARTS.has("throughput")) {
      console.log(`\nthroughput rounds:`);
      results.throughput = printThroughput(systems, await throughputPart(context, poll, systems));
    }
    if (PARTS.has("latency")) {
      const latencySystems = systems.filter((system) => system.key !== "spire2");
      results.latency = printLatency(latencySystems, await latencyPart(poll, latencySystems));
    }
    const engines = systems.filter((system) => system.key.startsWith("spire")).map((system) => ({ key: system.key, label: system.label, made: system.made(), pids: system.processes().engine! }));
    await cleanUp();
    if (options.statements && engines.length > 0) results.statements = printStatements(statementsPrefix, engines);
    if (PARTS.has("failover")) {
      console.log(`\nfailover:`);
      results.failover = printFailover(await failoverPart(context, Number(options.failovers)));
    }
  } finally {
    await cleanUp();
    process.off("SIGINT", onInterrupt);
    context.http.destroy();
    await admin.end();
    await poll.end();
    if (options.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  results.load_after = loadavg();
  console.log(`load average after: ${load()}`);
  const parts = ["throughput", "latency", "failover"].filter((part) => PARTS.has(part));
  console.log(`saved ${saveResult(parts.length === 3 ? "postgres" : `postgres-${parts.join("-")}`, results)}`);
}

await main();
