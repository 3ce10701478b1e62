/**
 * bench/fire: how close to its slot a time trigger fires, at scale (issue 4
 * item 7). The workload: CRON pipelines on the six-field cron "* * * * * *"
 * plus EVERY pipelines on `every: 100ms` aligned to the clock (2,000 slots a
 * second with the defaults), for DURATION seconds. Three systems, one after
 * the other:
 *
 *  1. floor: a bare setTimeout loop in a fresh node process, CRON timers
 *     re-armed to each next whole second and EVERY to each next 100 ms,
 *     lateness = Date.now() at the callback − the target;
 *  2. APScheduler 3 (Debian's python3-apscheduler), CRON jobs on
 *     CronTrigger(second="*"), lateness = the instant it submits the job −
 *     its scheduled_run_time (skipped, with a line saying why, if absent);
 *  3. Spire: a real `spire engine` (temp data folder) with the pipelines
 *     applied. Read from its store afterwards, for slots in the window:
 *     - created: run.created_at − run.trigger.scheduled_at, the instant the
 *       scheduler claimed the slot and created its run (the clock reading
 *       the claim transaction is stamped with). The targets apply here.
 *     - started: run.started_at − slot: stored, admitted, run.started
 *       written. With ~1,100 runs created at each whole second this measures
 *       how fast the engine starts runs, not how precisely it fires.
 *     - spawned: the task's started_at − slot, for the SPAWNING cron
 *       pipelines that run a real process (`exec: [true]`). The others have
 *       no tasks: a process per run (2,000 a second) is beyond this
 *       machine's ~400 spawns a second, and would measure spawning.
 *     Early fires (created before the slot) and double fires (two runs for
 *     one pipeline, trigger and slot) are counted from the store; slots
 *     neither run nor recorded as missed are reported as lost.
 *
 * Times are whole milliseconds (Date.now(), the store's resolution) for the
 * floor and Spire; APScheduler's are fractional.
 *
 *   npm run build && node dist/bench/fire.js [--duration 60] [--cron 1000]
 *       [--every 100] [--spawning 20] [--only floor,apscheduler,spire,claim]
 *       [--engine-flags="--cpu-prof --cpu-prof-dir=/tmp/prof-fire"]
 *
 * claim: the store's share, alone: one whole second's claim transaction.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { REPO_ROOT, spireArgv, spireArgvWith, spireEnv, machine, percentile, saveResult, timeCommand } from "./lib.js";
import { sampleProcess } from "./proc.js";
import { prepareRun } from "../src/engine/runs/start-run.js";
import { parseDefinitions } from "../src/definitions/load.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import type { SlotClaim } from "../src/store/port.js";

const { values: options } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    cron: { type: "string", default: "1000" },
    every: { type: "string", default: "100" },
    spawning: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    only: { type: "string", default: "floor,apscheduler,spire,claim" },
    "floor-child": { type: "boolean", default: false },
    "window-start": { type: "string" },
    "engine-flags": { type: "string", default: "" },
  },
});
const DURATION_S = Number(options.duration);
const CRON = Number(options.cron);
const EVERY = Number(options.every);
const SPAWNING = Math.min(Number(options.spawning), CRON);
const WARMUP_S = Number(options.warmup);
const PARTS = new Set(options.only.split(","));
const EVERY_MS = 100;
const ENGINE_FLAGS = options["engine-flags"].split(" ").filter(Boolean);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Lateness {
  /** ms, one per fire in the window. */
  values: number[];
  early: number;
  double: number;
  /** Slots recorded as missed (APScheduler: misfired; Spire: `missed` records). */
  missed: number;
  /** Slots in the window with neither a fire nor a missed record. */
  lost?: number;
}

interface Summary {
  fires: number;
  p50: number;
  p99: number;
  max: number;
  early: number;
  double: number;
  missed: number;
  lost: number | null;
}

function summarise(lateness: Lateness): Summary {
  const sorted = [...lateness.values].sort((a, b) => a - b);
  return { fires: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, early: lateness.early, double: lateness.double, missed: lateness.missed, lost: lateness.lost ?? null };
}

/** The first whole second at least `warmup` seconds from now: every system measures the same kind of window. */
const windowStartAfter = (warmupS: number) => Math.ceil((Date.now() + warmupS * 1000) / 1000) * 1000;

// ---------------------------------------------------------------- the floor

/** In the child process: bare timers, each re-armed to its next target (never the same one twice). */
async function floorChild(windowStart: number): Promise<void> {
  const windowEnd = windowStart + DURATION_S * 1000;
  const values: number[] = [];
  let early = 0;
  const timer = (period: number) => {
    const fire = (target: number) => {
      const lateness = Date.now() - target;
      if (target >= windowStart && target < windowEnd) {
        values.push(lateness);
        if (lateness < 0) early++;
      }
      if (target + period < windowEnd) setTimeout(() => fire(target + period), target + period - Date.now());
    };
    const first = Math.ceil((Date.now() + 1) / period) * period;
    setTimeout(() => fire(first), first - Date.now());
  };
  for (let index = 0; index < CRON; index++) timer(1000);
  for (let index = 0; index < EVERY; index++) timer(EVERY_MS);
  await sleep(windowEnd - Date.now() + 500);
  process.stdout.write(JSON.stringify({ values, early, double: 0, missed: 0 } satisfies Lateness));
}

async function floorPart(): Promise<Lateness> {
  const windowStart = windowStartAfter(2);
  const script = fileURLToPath(import.meta.url);
  const args = [script, "--floor-child", "--window-start", String(windowStart), "--duration", String(DURATION_S), "--cron", String(CRON), "--every", String(EVERY)];
  return JSON.parse(await output(process.execPath, args)) as Lateness;
}

function output(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

// ---------------------------------------------------------------- APScheduler

/** Debian's python (the pyenv one on PATH may lack the package), else python3. */
function apschedulerPython(): { python: string; version: string } | { skipped: string } {
  for (const python of ["/usr/bin/python3", "python3"]) {
    const probe = spawnSync(python, ["-c", "import apscheduler; print(apscheduler.__version__)"], { encoding: "utf8" });
    if (probe.status === 0 && probe.stdout.trim().startsWith("3.")) return { python, version: probe.stdout.trim() };
  }
  return { skipped: "APScheduler 3 is not installed (apt-get install -y python3-apscheduler)" };
}

async function apschedulerPart(python: string): Promise<Lateness> {
  const windowStart = windowStartAfter(WARMUP_S);
  const script = join(REPO_ROOT, "bench", "fire_apscheduler.py");
  const result = JSON.parse(await output(python, [script, String(CRON), String(windowStart / 1000), String(DURATION_S)])) as { lateness_ms: number[]; early: number; double: number; missed: number };
  return { values: result.lateness_ms, early: result.early, double: result.double, missed: result.missed };
}

// ---------------------------------------------------------------- Spire

function definitions(): string {
  const lines = ["namespace: fire", "pipelines:"];
  for (let index = 0; index < CRON; index++) {
    const tasks = index < SPAWNING ? `{ t: { exec: ["true"] } }` : "{}";
    lines.push(`  cron${index}:`, `    triggers: [{ cron: "* * * * * *" }]`, `    tasks: ${tasks}`);
  }
  // align: the floor's timers are aligned to the clock too. Unaligned, the slots count from the apply
  // and one of each second's ten falls while the whole-second claim of 1,100 runs is being written.
  for (let index = 0; index < EVERY; index++) lines.push(`  every${index}:`, `    triggers: [{ every: ${EVERY_MS}ms, align: true }]`, "    tasks: {}");
  return lines.join("\n") + "\n";
}

interface SpireResult {
  created: Lateness;
  started: Lateness;
  spawned: Lateness;
  /** Missed slots in the window by the engine's reason. */
  missedReasons: { reason: string; slots: number; seconds_into_window: number[] }[];
  /** The engine's CPU over the window, % of one core. */
  engineCpuPercent: number;
  /** The WAL file (its largest size so far) and the database at the window's end. */
  walBytes: number;
  dbBytes: number;
}

const fileSize = (file: string) => (existsSync(file) ? statSync(file).size : 0);

async function spirePart(): Promise<SpireResult> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-fire-"));
  const data = join(dir, "data");
  try {
    const logFile = join(dir, "engine.log");
    writeFileSync(logFile, "");
    const { openSync } = await import("node:fs");
    const log = openSync(logFile, "a");
    const engine = spawn(process.execPath, spireArgvWith(ENGINE_FLAGS, "engine", "--listen", "127.0.0.1:0", "--data", data), { stdio: ["ignore", log, log], env: spireEnv() });
    const exited = new Promise<void>((resolve) => engine.once("exit", () => resolve()));
    for (const deadline = Date.now() + 30_000; !existsSync(join(data, "engine.json")); await sleep(20)) {
      if (engine.exitCode !== null || Date.now() > deadline) throw new Error(`the engine did not start: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    const file = join(dir, "spire.yaml");
    writeFileSync(file, definitions());
    await timeCommand(process.execPath, spireArgv("apply", "-f", file, "--data", data), { env: spireEnv() });
    const windowStart = windowStartAfter(WARMUP_S);
    const windowEnd = windowStart + DURATION_S * 1000;
    await sleep(windowStart - Date.now());
    const cpuBefore = sampleProcess(engine.pid!)?.cpuMs ?? NaN;
    await sleep(windowEnd - Date.now());
    const cpuAfter = sampleProcess(engine.pid!)?.cpuMs ?? NaN;
    // The WAL file keeps the largest size it reached: it shows whether it started over under this load.
    const walBytes = fileSize(join(data, "spire.db-wal"));
    const dbBytes = fileSize(join(data, "spire.db"));
    // The last slots' runs are being started: give them a moment before the engine drains.
    await sleep(3_000);
    engine.kill("SIGTERM");
    await exited;
    return { ...readSpireStore(join(data, "spire.db"), windowStart, windowEnd), engineCpuPercent: ((cpuAfter - cpuBefore) / (windowEnd - windowStart)) * 100, walBytes, dbBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readSpireStore(file: string, windowStart: number, windowEnd: number): Omit<SpireResult, "engineCpuPercent" | "walBytes" | "dbBytes"> {
  const db = new Database(file, { readonly: true });
  try {
    const runs = (
      db.prepare(`SELECT pipeline, json_extract("trigger", '$.trigger_key') AS trigger_key, json_extract("trigger", '$.scheduled_at') AS scheduled_at, created_at, started_at FROM runs WHERE namespace = 'fire'`).all() as
        { pipeline: string; trigger_key: string; scheduled_at: string; created_at: number; started_at: number | null }[]
    ).map((run) => ({ ...run, slot: Date.parse(run.scheduled_at) }));
    const inWindow = runs.filter((run) => run.slot >= windowStart && run.slot < windowEnd);
    const keys = new Set<string>();
    let double = 0;
    for (const run of inWindow) {
      const key = `${run.pipeline}\u0000${run.trigger_key}\u0000${run.slot}`;
      if (keys.has(key)) double++;
      keys.add(key);
    }
    const missedRows = db.prepare("SELECT slots, reason FROM missed WHERE namespace = 'fire'").all() as { slots: string; reason: string }[];
    // Listed slots are the newest 100 of each record: enough inside a one-minute window.
    const inWindowSlots = (row: { slots: string }) => (JSON.parse(row.slots) as number[]).filter((at) => at >= windowStart && at < windowEnd);
    const missed = missedRows.flatMap(inWindowSlots).length;
    // Why, in the engine's words, with the seconds the missed slots fell in.
    const missedReasons = new Map<string, { slots: number; seconds: Set<number> }>();
    for (const row of missedRows) {
      const slots = inWindowSlots(row);
      if (slots.length === 0) continue;
      const entry = missedReasons.get(row.reason) ?? { slots: 0, seconds: new Set<number>() };
      entry.slots += slots.length;
      for (const slot of slots) entry.seconds.add(Math.floor((slot - windowStart) / 1000));
      missedReasons.set(row.reason, entry);
    }
    const expected = ((windowEnd - windowStart) / 1000) * CRON + ((windowEnd - windowStart) / EVERY_MS) * EVERY;
    const tasks = db
      .prepare(`SELECT json_extract(r."trigger", '$.scheduled_at') AS scheduled_at, t.started_at FROM task_runs t JOIN runs r ON r.id = t.run_id WHERE r.namespace = 'fire' AND t.attempt = 1 AND t.started_at IS NOT NULL`)
      .all()
      .map((task) => ({ slot: Date.parse((task as { scheduled_at: string }).scheduled_at), started_at: (task as { started_at: number }).started_at }));
    const spawned = tasks.filter((task) => task.slot >= windowStart && task.slot < windowEnd).map((task) => task.started_at - task.slot);
    const created = inWindow.map((run) => run.created_at - run.slot);
    const started = inWindow.filter((run) => run.started_at !== null).map((run) => run.started_at! - run.slot);
    return {
      created: { values: created, early: created.filter((value) => value < 0).length, double, missed, lost: expected - keys.size - missed },
      started: { values: started, early: started.filter((value) => value < 0).length, double, missed, lost: inWindow.length - started.length },
      spawned: { values: spawned, early: spawned.filter((value) => value < 0).length, double: 0, missed: 0 },
      missedReasons: [...missedReasons].map(([reason, { slots, seconds }]) => ({ reason, slots, seconds_into_window: [...seconds].sort((a, b) => a - b) })),
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- where the time goes

/**
 * The claim of one whole second, alone: CRON + EVERY runs of these
 * definitions in one claimSlots transaction on a fresh store, ROUNDS times.
 * The slot's run is created at the clock reading before this transaction;
 * the transaction holds the event loop for this long after it.
 */
async function claimPart(rounds = 20): Promise<{ p50: number; max: number; cpuP50: number; runs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-claim-"));
  const store = openSqliteStore(join(dir, "spire.db"));
  try {
    await store.init();
    const loaded = parseDefinitions(definitions(), "spire.yaml");
    if (!loaded.ok) throw new Error("bench/fire: the generated definitions do not load");
    const pipelines = Object.entries(loaded.file.pipelines);
    for (const [name] of pipelines) await store.ensureSchedule("fire", name, "0:cron", 0);
    const times: number[] = [];
    // CPU time as well: on a shared machine the wall time includes waiting for a core.
    const cpu: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const slot = round * 1000;
      const claims: SlotClaim[] = [];
      for (const [name, pipeline] of pipelines) {
        const { prepared, event } = await prepareRun({ namespace: "fire", pipelineName: name, pipeline, args: {}, trigger: { kind: "cron", scheduled_at: new Date(slot).toISOString(), trigger_key: "0:cron" }, baseDir: dir, secretSource: {}, now: slot });
        claims.push({ namespace: "fire", pipeline: name, trigger_key: "0:cron", runs: [{ slot, run: prepared.run, event }] });
      }
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await store.claimSlots(claims, slot);
      const used = process.cpuUsage(cpuBefore);
      times.push(performance.now() - started);
      cpu.push((used.user + used.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    return { p50: percentile(times, 50), max: times[times.length - 1]!, cpuP50: percentile(cpu, 50), runs: pipelines.length };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

const fmt = (ms: number) => (Number.isNaN(ms) ? "-" : Number.isInteger(ms) ? String(ms) : ms.toFixed(1));

function row(name: string, summary: Summary): string {
  const cells = [summary.fires, fmt(summary.p50), fmt(summary.p99), fmt(summary.max), summary.early, summary.double, summary.missed, summary.lost ?? "-"];
  return `${name.padEnd(34)}${cells.map((cell) => String(cell).padStart(9)).join("")}`;
}

async function main(): Promise<void> {
  if (options["floor-child"]) return floorChild(Number(options["window-start"]));
  const perSecond = CRON + (EVERY * 1000) / EVERY_MS;
  console.log(`bench/fire: ${CRON} pipelines on cron "* * * * * *" (${SPAWNING} of them spawn a process) + ${EVERY} on every ${EVERY_MS}ms (aligned) = ${perSecond} slots/s, ${DURATION_S} s window`);
  console.log(`machine: ${machine()}; load average before: ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  const results: Record<string, Summary | { skipped: string }> = {};
  const lines: string[] = [];
  if (PARTS.has("floor")) {
    results.floor = summarise(await floorPart());
    lines.push(row("floor: setTimeout, created", results.floor));
  }
  if (PARTS.has("apscheduler")) {
    const found = apschedulerPython();
    if ("skipped" in found) {
      results.apscheduler = found;
      lines.push(`APScheduler: skipped: ${found.skipped}`);
    } else {
      results.apscheduler = summarise(await apschedulerPart(found.python));
      lines.push(row(`APScheduler ${found.version}: submitted (${CRON} jobs)`, results.apscheduler));
    }
  }
  let cpu: number | undefined;
  let store = "";
  if (PARTS.has("spire")) {
    const spire = await spirePart();
    results.spire_created = summarise(spire.created);
    results.spire_started = summarise(spire.started);
    results.spire_spawned = summarise(spire.spawned);
    cpu = spire.engineCpuPercent;
    store = `the WAL file peaked at ${(spire.walBytes / 1048576).toFixed(0)} MB (the database: ${(spire.dbBytes / 1048576).toFixed(0)} MB)`;
    (results as Record<string, unknown>).spire_wal_bytes = spire.walBytes;
    lines.push(row("Spire: run created (slot claimed)", results.spire_created));
    lines.push(row("Spire: run started", results.spire_started));
    lines.push(row(`Spire: task spawned (${SPAWNING} pipelines)`, results.spire_spawned));
    (results as Record<string, unknown>).spire_missed = spire.missedReasons;
    for (const { reason, slots, seconds_into_window } of spire.missedReasons) {
      lines.push(`Spire missed ${slots} slots (in seconds ${seconds_into_window.join(", ")} of the window): ${reason}`);
    }
  }
  console.log(`\n${"lateness from slot, ms".padEnd(34)}${["fires", "p50", "p99", "max", "early", "double", "missed", "lost"].map((cell) => cell.padStart(9)).join("")}`);
  for (const line of lines) console.log(line);
  const floor = results.floor as Summary | undefined;
  const created = results.spire_created as Summary | undefined;
  const aps = results.apscheduler as Summary | undefined;
  if (created) {
    console.log(`\nSpire engine CPU over the window: ${cpu!.toFixed(0)} % of one core; ${store}`);
    if (floor) console.log(`Spire created p99 − floor p99: ${fmt(created.p99 - floor.p99)} ms (target ≤ 5); max ${fmt(created.max)} ms (target ≤ 20); early ${created.early}, double ${created.double} (targets 0)`);
    if (aps && "p99" in aps) console.log(`APScheduler p99 / Spire created p99: ${(aps.p99 / Math.max(created.p99, 1)).toFixed(1)}× (Spire's p99 floored at 1 ms for the ratio)`);
  }
  if (PARTS.has("claim")) {
    const claim = await claimPart();
    results.claim_ms = claim as unknown as Summary;
    console.log(`one claim of ${claim.runs} runs (one whole second) on a fresh store: p50 ${claim.p50.toFixed(1)} ms (CPU ${claim.cpuP50.toFixed(1)} ms), max ${claim.max.toFixed(1)} ms`);
  }
  console.log(`load average after: ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  console.log(`saved ${saveResult("fire", { duration_s: DURATION_S, cron: CRON, every: EVERY, spawning: SPAWNING, engine_cpu_percent: cpu ?? null, load_after: loadavg(), results })}`);
}

await main();
