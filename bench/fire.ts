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
 *  2b. spawn floor: SPAWNING processes of the same program started at each
 *     whole second by a bare loop through Spire's own spawner (native:
 *     posix_spawn) in a fresh node process: no store, no supervisor;
 *  3. Spire: a real `spire engine` (temp data folder) with the pipelines
 *     applied. Read from its store afterwards, for slots in the window:
 *     - created: run.created_at − run.trigger.scheduled_at, the instant the
 *       scheduler claimed the slot and created its run (the clock reading
 *       the claim transaction is stamped with). The targets apply here.
 *     - started: run.started_at − slot: stored, admitted, run.started
 *       written. With ~1,100 runs created at each whole second this measures
 *       how fast the engine starts runs, not how precisely it fires.
 *     - task started (engine): its `task.started` event − slot, for the
 *       SPAWNING cron pipelines that run a real process: the engine stamped
 *       the attempt (written ahead, then its launch sent to the supervisor).
 *     - spawned: the task's stored started_at − slot: the instant the
 *       supervisor took the launch and began to start the process. The
 *       others have no tasks: a process per run (2,000 a second) is beyond
 *       this machine's ~400 spawns a second, and would measure spawning.
 *     - process: what the user's process sees. Its program is `date`, which
 *       prints the clock as an output (`::output::seen_ns=…`); the reading
 *       − slot, to the µs, read from the task's outputs.
 *     Early fires (created before the slot) and double fires (two runs for
 *     one pipeline, trigger and slot) are counted from the store; slots
 *     neither run nor recorded as missed are reported as lost.
 *
 * Times are whole milliseconds (Date.now(), the store's resolution) for the
 * floor and Spire; APScheduler's are fractional.
 *
 *   npm run build && node dist/bench/fire.js [--preset heavy|realistic]
 *       [--duration 60] [--cron N] [--every N] [--spawning N] [--parallelism N]
 *       [--only floor,spawnfloor,apscheduler,spire,claim]
 *       [--engine-flags="--cpu-prof --cpu-prof-dir=/tmp/prof-fire"]
 *
 * Presets (--cron, --every and --spawning override theirs):
 * - heavy (the default): 1,000 crons + 100 every 100ms, 20 of the crons
 *   spawning, the engine's default parallelism (its cores: the 20 tasks of
 *   a second share them): 2,000 slots a second, how precisely it fires;
 * - realistic: 1,100 crons, 100 of them spawning, no every, the engine's
 *   --parallelism 100 (room for all the tasks due at once): what the
 *   user's process sees under a load a big installation has. The target:
 *   slot → task spawned p99 ≤ 10 ms.
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
import { defaultSpawner } from "../src/exec/spawner/index.js";

const { values: options } = parseArgs({
  options: {
    preset: { type: "string", default: "heavy" },
    duration: { type: "string", default: "60" },
    cron: { type: "string" },
    every: { type: "string" },
    spawning: { type: "string" },
    parallelism: { type: "string" },
    warmup: { type: "string", default: "5" },
    only: { type: "string", default: "floor,spawnfloor,apscheduler,spire,claim" },
    "floor-child": { type: "boolean", default: false },
    "spawn-floor-child": { type: "boolean", default: false },
    "window-start": { type: "string" },
    "engine-flags": { type: "string", default: "" },
  },
});
/**
 * heavy: 2,000 slots a second, 20 of them spawning (how precisely it fires at scale);
 * realistic: 1,000 one-second crons with no task beside 100 whose every run spawns a process (what a user's process sees).
 */
const PRESETS: Record<string, { cron: number; every: number; spawning: number; parallelism?: number }> = {
  heavy: { cron: 1000, every: 100, spawning: 20 },
  // Room for every task due at once: what is measured is the engine, not a queue for the parallelism the user chose.
  realistic: { cron: 1100, every: 0, spawning: 100, parallelism: 100 },
};
if (!Object.hasOwn(PRESETS, options.preset)) {
  console.error(`bench/fire: --preset ${options.preset}: it is one of ${Object.keys(PRESETS).join(", ")}`);
  process.exit(2);
}
const PRESET = PRESETS[options.preset]!;
const DURATION_S = Number(options.duration);
const CRON = Number(options.cron ?? PRESET.cron);
const EVERY = Number(options.every ?? PRESET.every);
const SPAWNING = Math.min(Number(options.spawning ?? PRESET.spawning), CRON);
/** The engine's --parallelism; its default (the cores) when neither the preset nor the option says. */
const PARALLELISM = options.parallelism ?? (PRESET.parallelism === undefined ? undefined : String(PRESET.parallelism));
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

// ---------------------------------------------------------------- the spawn floor

/**
 * In the child process: at each whole second, SPAWNING processes of the
 * spawning pipelines' program, started at once through Spire's own spawner
 * (the native one: posix_spawn on a thread of its own) by a bare loop, no
 * store, no supervisor. spawned: the process reported started (its pid);
 * process: the clock it printed. What any scheduler on this machine could do.
 */
async function spawnFloorChild(windowStart: number): Promise<void> {
  const { spawner } = defaultSpawner();
  const windowEnd = windowStart + DURATION_S * 1000;
  const spawned: number[] = [];
  const seen: number[] = [];
  let failed = 0;
  const env = { ...process.env };
  const fire = (slot: number) => {
    for (let index = 0; index < SPAWNING; index++) {
      const child = spawner.spawn("date", ["+%s%N"], { cwd: tmpdir(), env });
      child.once("error", () => failed++);
      const started = () => {
        spawned.push(Date.now() - slot);
        let printed = "";
        child.stdout!.on("data", (chunk: Buffer) => (printed += chunk.toString("utf8")));
        child.stdout!.once("end", () => {
          const ns = printed.trim();
          if (/^\d{19}$/.test(ns)) seen.push(Number(ns.slice(0, 13)) - slot + Number(ns.slice(13, 16)) / 1000);
          else failed++;
        });
        child.stderr!.on("data", () => undefined);
      };
      if (child.pid !== undefined) started();
      else child.once("spawn", started);
    }
  };
  for (let slot = windowStart; slot < windowEnd; slot += 1000) setTimeout(() => fire(slot), slot - Date.now());
  await sleep(windowEnd - Date.now() + 1_000);
  const lateness = (values: number[]): Lateness => ({ values, early: values.filter((value) => value < 0).length, double: 0, missed: 0, lost: failed });
  process.stdout.write(JSON.stringify({ kind: spawner.kind, spawned: lateness(spawned), seen: lateness(seen) }));
}

async function spawnFloorPart(): Promise<{ kind: string; spawned: Lateness; seen: Lateness }> {
  const windowStart = windowStartAfter(2);
  const script = fileURLToPath(import.meta.url);
  const args = [script, "--spawn-floor-child", "--window-start", String(windowStart), "--duration", String(DURATION_S), "--cron", String(CRON), "--spawning", String(SPAWNING)];
  return JSON.parse(await output(process.execPath, args)) as { kind: string; spawned: Lateness; seen: Lateness };
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

/** One file holds at most this many pipelines (MAX_PIPELINES): more go to further files, each its own namespace. */
const PIPELINES_PER_FILE = 1000;
/** A spawning task prints the clock as its process sees it, as an output: `::output::seen_ns=NANOSECONDS`. */
const SEEN_OUTPUT = "seen_ns";

/** Whether the cron pipeline INDEX runs a process: SPAWNING of them, spread evenly among the others (not all first in line). */
const spawns = (index: number) => SPAWNING > 0 && index % (CRON / SPAWNING) < 1;

/** The definitions, PIPELINES_PER_FILE pipelines a file: namespaces fire, fire2, fire3… */
function definitionFiles(): { namespace: string; text: string }[] {
  const pipelines: string[][] = [];
  for (let index = 0; index < CRON; index++) {
    // `date` is about the cheapest program that reads the clock: its reading is the slot as the user's process sees it.
    const tasks = spawns(index) ? `{ t: { exec: ["date", "+::output::${SEEN_OUTPUT}=%s%N"] } }` : "{}";
    pipelines.push([`  cron${index}:`, `    triggers: [{ cron: "* * * * * *" }]`, `    tasks: ${tasks}`]);
  }
  // align: the floor's timers are aligned to the clock too. Unaligned, the slots count from the apply
  // and one of each second's ten falls while the whole-second claim of 1,100 runs is being written.
  for (let index = 0; index < EVERY; index++) pipelines.push([`  every${index}:`, `    triggers: [{ every: ${EVERY_MS}ms, align: true }]`, "    tasks: {}"]);
  const files: { namespace: string; text: string }[] = [];
  for (let start = 0; start < pipelines.length; start += PIPELINES_PER_FILE) {
    const namespace = start === 0 ? "fire" : `fire${start / PIPELINES_PER_FILE + 1}`;
    const lines = [`namespace: ${namespace}`, "pipelines:", ...pipelines.slice(start, start + PIPELINES_PER_FILE).flat()];
    files.push({ namespace, text: lines.join("\n") + "\n" });
  }
  return files;
}

interface SpireResult {
  created: Lateness;
  started: Lateness;
  /** The engine's `task.started` (the attempt stamped and written ahead, before the launch is sent). */
  decided: Lateness;
  spawned: Lateness;
  /** Slot → the clock as the spawned task's own process read it (`date`, at its start). */
  seen: Lateness;
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
  let engine: ReturnType<typeof spawn> | undefined;
  try {
    const logFile = join(dir, "engine.log");
    writeFileSync(logFile, "");
    const { openSync } = await import("node:fs");
    const log = openSync(logFile, "a");
    engine = spawn(process.execPath, spireArgvWith(ENGINE_FLAGS, "engine", "--listen", "127.0.0.1:0", "--data", data, ...(PARALLELISM ? ["--parallelism", PARALLELISM] : [])), { stdio: ["ignore", log, log], env: spireEnv() });
    const exited = new Promise<void>((resolve) => engine!.once("exit", () => resolve()));
    for (const deadline = Date.now() + 30_000; !existsSync(join(data, "engine.json")); await sleep(20)) {
      if (engine.exitCode !== null || Date.now() > deadline) throw new Error(`the engine did not start: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    for (const { namespace, text } of definitionFiles()) {
      const file = join(dir, `${namespace}.yaml`);
      writeFileSync(file, text);
      await timeCommand(process.execPath, spireArgv("apply", "-f", file, "--data", data), { env: spireEnv() });
    }
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
    // Failed on the way (an apply refused, say): the engine is not left running.
    if (engine && engine.exitCode === null && engine.signalCode === null) {
      engine.kill("SIGTERM");
      await new Promise<void>((resolve) => engine!.once("exit", () => resolve()));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function readSpireStore(file: string, windowStart: number, windowEnd: number): Omit<SpireResult, "engineCpuPercent" | "walBytes" | "dbBytes"> {
  const db = new Database(file, { readonly: true });
  try {
    const runs = (
      db.prepare(`SELECT namespace, pipeline, json_extract("trigger", '$.trigger_key') AS trigger_key, json_extract("trigger", '$.scheduled_at') AS scheduled_at, created_at, started_at FROM runs WHERE namespace LIKE 'fire%'`).all() as
        { namespace: string; pipeline: string; trigger_key: string; scheduled_at: string; created_at: number; started_at: number | null }[]
    ).map((run) => ({ ...run, slot: Date.parse(run.scheduled_at) }));
    const inWindow = runs.filter((run) => run.slot >= windowStart && run.slot < windowEnd);
    const keys = new Set<string>();
    let double = 0;
    for (const run of inWindow) {
      const key = `${run.namespace}\u0000${run.pipeline}\u0000${run.trigger_key}\u0000${run.slot}`;
      if (keys.has(key)) double++;
      keys.add(key);
    }
    const missedRows = db.prepare("SELECT slots, reason FROM missed WHERE namespace LIKE 'fire%'").all() as { slots: string; reason: string }[];
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
    const tasks = (
      db
        .prepare(
          `SELECT json_extract(r."trigger", '$.scheduled_at') AS scheduled_at, t.started_at, json_extract(t.outputs, '$.${SEEN_OUTPUT}') AS seen_ns,
             (SELECT e.ts FROM events e WHERE e.run_id = t.run_id AND e.type = 'task.started' AND e.task_path = t.path AND e.attempt = 1) AS decided_at
           FROM task_runs t JOIN runs r ON r.id = t.run_id WHERE r.namespace LIKE 'fire%' AND t.attempt = 1 AND t.started_at IS NOT NULL`,
        )
        .all() as { scheduled_at: string; started_at: number; seen_ns: string | null; decided_at: number | null }[]
    )
      .map((task) => ({ ...task, slot: Date.parse(task.scheduled_at) }))
      .filter((task) => task.slot >= windowStart && task.slot < windowEnd);
    const spawned = tasks.map((task) => task.started_at - task.slot);
    const decided = tasks.filter((task) => task.decided_at !== null).map((task) => task.decided_at! - task.slot);
    // Nanoseconds since the epoch (beyond a double's exact integers): whole ms and the rest apart, to the µs.
    const seen = tasks.filter((task) => task.seen_ns !== null && /^\d{19}$/.test(task.seen_ns)).map((task) => Number(task.seen_ns!.slice(0, 13)) - task.slot + Number(task.seen_ns!.slice(13, 16)) / 1000);
    const created = inWindow.map((run) => run.created_at - run.slot);
    const started = inWindow.filter((run) => run.started_at !== null).map((run) => run.started_at! - run.slot);
    return {
      created: { values: created, early: created.filter((value) => value < 0).length, double, missed, lost: expected - keys.size - missed },
      started: { values: started, early: started.filter((value) => value < 0).length, double, missed, lost: inWindow.length - started.length },
      decided: { values: decided, early: decided.filter((value) => value < 0).length, double: 0, missed: 0 },
      spawned: { values: spawned, early: spawned.filter((value) => value < 0).length, double: 0, missed: 0 },
      // Spawned tasks whose process printed no reading (it failed, or its output was lost) count as lost.
      seen: { values: seen, early: seen.filter((value) => value < 0).length, double: 0, missed: 0, lost: tasks.length - seen.length },
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
    const pipelines = definitionFiles().flatMap(({ namespace, text }) => {
      const loaded = parseDefinitions(text, `${namespace}.yaml`);
      if (!loaded.ok) throw new Error("bench/fire: the generated definitions do not load");
      return Object.entries(loaded.file.pipelines).map(([name, pipeline]) => ({ namespace, name, pipeline }));
    });
    for (const { namespace, name } of pipelines) await store.ensureSchedule(namespace, name, "0:cron", 0);
    const times: number[] = [];
    // CPU time as well: on a shared machine the wall time includes waiting for a core.
    const cpu: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const slot = round * 1000;
      const claims: SlotClaim[] = [];
      for (const { namespace, name, pipeline } of pipelines) {
        const { prepared, event } = await prepareRun({ namespace, pipelineName: name, pipeline, args: {}, trigger: { kind: "cron", scheduled_at: new Date(slot).toISOString(), trigger_key: "0:cron" }, baseDir: dir, secretSource: {}, now: slot });
        claims.push({ namespace, pipeline: name, trigger_key: "0:cron", runs: [{ slot, run: prepared.run, event }] });
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
  return `${name.padEnd(40)}${cells.map((cell) => String(cell).padStart(9)).join("")}`;
}

async function main(): Promise<void> {
  if (options["floor-child"]) return floorChild(Number(options["window-start"]));
  if (options["spawn-floor-child"]) return spawnFloorChild(Number(options["window-start"]));
  const perSecond = CRON + (EVERY * 1000) / EVERY_MS;
  console.log(`bench/fire --preset ${options.preset}: ${CRON} pipelines on cron "* * * * * *" (${SPAWNING} of them spawn a process, engine --parallelism ${PARALLELISM ?? "default"}) + ${EVERY} on every ${EVERY_MS}ms (aligned) = ${perSecond} slots/s, ${DURATION_S} s window`);
  console.log(`machine: ${machine()}; load average before: ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  const results: Record<string, Summary | { skipped: string }> = {};
  const lines: string[] = [];
  if (PARTS.has("floor")) {
    results.floor = summarise(await floorPart());
    lines.push(row("floor: setTimeout, created", results.floor));
  }
  if (PARTS.has("spawnfloor") && SPAWNING > 0) {
    const floor = await spawnFloorPart();
    results.spawn_floor_spawned = summarise(floor.spawned);
    results.spawn_floor_seen = summarise(floor.seen);
    lines.push(row(`spawn floor (${floor.kind}): spawned`, results.spawn_floor_spawned));
    lines.push(row(`spawn floor: the process's own clock`, results.spawn_floor_seen));
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
    results.spire_decided = summarise(spire.decided);
    results.spire_spawned = summarise(spire.spawned);
    results.spire_seen = summarise(spire.seen);
    cpu = spire.engineCpuPercent;
    store = `the WAL file peaked at ${(spire.walBytes / 1048576).toFixed(0)} MB (the database: ${(spire.dbBytes / 1048576).toFixed(0)} MB)`;
    (results as Record<string, unknown>).spire_wal_bytes = spire.walBytes;
    lines.push(row("Spire: run created (slot claimed)", results.spire_created));
    lines.push(row("Spire: run started", results.spire_started));
    lines.push(row(`Spire: task started (engine)`, results.spire_decided));
    lines.push(row(`Spire: task spawned (${SPAWNING} pipelines)`, results.spire_spawned));
    lines.push(row("Spire: the process's own clock", results.spire_seen));
    (results as Record<string, unknown>).spire_missed = spire.missedReasons;
    for (const { reason, slots, seconds_into_window } of spire.missedReasons) {
      lines.push(`Spire missed ${slots} slots (in seconds ${seconds_into_window.join(", ")} of the window): ${reason}`);
    }
  }
  console.log(`\n${"lateness from slot, ms".padEnd(40)}${["fires", "p50", "p99", "max", "early", "double", "missed", "lost"].map((cell) => cell.padStart(9)).join("")}`);
  for (const line of lines) console.log(line);
  const floor = results.floor as Summary | undefined;
  const created = results.spire_created as Summary | undefined;
  const aps = results.apscheduler as Summary | undefined;
  if (created) {
    console.log(`\nSpire engine CPU over the window: ${cpu!.toFixed(0)} % of one core; ${store}`);
    if (floor) console.log(`Spire created p99 − floor p99: ${fmt(created.p99 - floor.p99)} ms (target ≤ 5); max ${fmt(created.max)} ms (target ≤ 20); early ${created.early}, double ${created.double} (targets 0)`);
    if (aps && "p99" in aps) console.log(`APScheduler p99 / Spire created p99: ${(aps.p99 / Math.max(created.p99, 1)).toFixed(1)}× (Spire's p99 floored at 1 ms for the ratio)`);
  }
  const spawned = results.spire_spawned as Summary | undefined;
  const spawnFloor = results.spawn_floor_spawned as Summary | undefined;
  if (spawned && spawned.fires > 0) {
    const seen = results.spire_seen as Summary;
    const floorSeen = results.spawn_floor_seen as Summary | undefined;
    console.log(`Spire slot → task spawned p99 ${fmt(spawned.p99)} ms (target ≤ 10 at --preset realistic), → the process p99 ${fmt(seen.p99)} ms`);
    // The floor is what this machine gives a bare loop starting the same processes: Spire's own share is what is above it.
    if (spawnFloor) console.log(`the spawn floor's: spawned p99 ${fmt(spawnFloor.p99)}, process p99 ${fmt(floorSeen!.p99)} ms; Spire − floor: spawned p99 +${fmt(spawned.p99 - spawnFloor.p99)}, process p99 +${fmt(seen.p99 - floorSeen!.p99)} ms`);
  }
  if (PARTS.has("claim")) {
    const claim = await claimPart();
    results.claim_ms = claim as unknown as Summary;
    console.log(`one claim of ${claim.runs} runs (one whole second) on a fresh store: p50 ${claim.p50.toFixed(1)} ms (CPU ${claim.cpuP50.toFixed(1)} ms), max ${claim.max.toFixed(1)} ms`);
  }
  console.log(`load average after: ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  console.log(`saved ${saveResult(`fire-${options.preset}`, { preset: options.preset, duration_s: DURATION_S, cron: CRON, every: EVERY, spawning: SPAWNING, engine_cpu_percent: cpu ?? null, load_after: loadavg(), results })}`);
}

await main();
