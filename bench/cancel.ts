/**
 * bench/cancel: how soon every task of a run gets its SIGTERM when the run
 * is canceled. 50 running tasks, each a bash that traps TERM and writes the
 * moment it got it; the run is canceled through the RunController (store
 * write, cancel of each handle, the executor's signals), in this process
 * (LocalExecutor, as `spire run -f` without an engine) and through the
 * supervisor process (as `spire engine` runs tasks). Baseline, same
 * machine, same tasks: this process sends `kill(-pgid, SIGTERM)` to the 50
 * groups itself, in one loop. Target: the last task has its SIGTERM within
 * 200 ms of the cancel.
 *
 *   npm run build && node dist/bench/cancel.js [tasks] [rounds]
 */
import { LocalLogs } from "../src/logs/local-logs.js";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Executor } from "../src/exec/port.js";
import { LocalExecutor } from "../src/exec/local-executor.js";
import { SupervisorExecutor } from "../src/exec/supervisor/client.js";
import { RunController } from "../src/engine/runs/run-controller.js";
import { createRun } from "../src/engine/runs/start-run.js";
import { Slots } from "../src/engine/resources/slots.js";
import { pipelineSchema } from "../src/definitions/schema.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { machine, saveResult } from "./lib.js";

const TASKS = Number(process.argv[2] ?? 50);
const ROUNDS = Number(process.argv[3] ?? 5);
const TARGET_MS = 200;
/** After the last task is ready, let the spawn burst's own work (records, first samples) end: this measures the cancel. */
const SETTLE_MS = 500;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The task: marks itself ready, then waits; on TERM it writes the wall-clock time (µs) and exits. */
function taskScript(marks: string, index: string): string {
  return `trap 'echo $EPOCHREALTIME > "${marks}/term-${index}"; exit 0' TERM; : > "${marks}/ready-${index}"; sleep 1000 & wait`;
}

interface Round {
  /** From the cancel (or the first kill) to the first and the last task's trap, ms. */
  firstMs: number;
  lastMs: number;
}

function countMarks(marks: string, prefix: string): number {
  try {
    return readdirSync(marks).filter((name) => name.startsWith(prefix)).length;
  } catch {
    return 0;
  }
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(10);
  }
}

function termTimes(marks: string, startedAt: number): Round {
  const times = readdirSync(marks)
    .filter((name) => name.startsWith("term-"))
    .map((name) => Number(readFileSync(join(marks, name), "utf8").trim()) * 1000 - startedAt);
  if (times.length !== TASKS) throw new Error(`${times.length} of ${TASKS} tasks got SIGTERM`);
  return { firstMs: Math.min(...times), lastMs: Math.max(...times) };
}

/** Baseline: the same tasks spawned here, each in its own group, and signalled by one loop of kill(2). */
async function directKill(dir: string): Promise<Round> {
  const marks = join(dir, `direct-${Math.random()}`);
  mkdirSync(marks);
  const children = Array.from({ length: TASKS }, (_, index) => spawn("bash", ["-c", taskScript(marks, String(index))], { detached: true, stdio: "ignore" }));
  const exited = children.map((child) => new Promise((resolve) => child.once("exit", resolve)));
  await waitFor(() => countMarks(marks, "ready-") === TASKS, "the tasks to start");
  await pause(SETTLE_MS);
  const startedAt = Date.now();
  for (const child of children) process.kill(-child.pid!, "SIGTERM");
  await Promise.all(exited);
  return termTimes(marks, startedAt);
}

async function spireCancel(dir: string, executor: Executor): Promise<Round> {
  const marks = join(dir, `spire-${Math.random()}`);
  mkdirSync(marks);
  const store = openSqliteStore(join(dir, `spire-${Math.random()}.db`));
  await store.init();
  try {
    const pipeline = pipelineSchema.parse({ tasks: { many: { repeat: TASKS, shell: "bash", run: taskScript(marks, "$SPIRE_ARRAY_INDEX"), kill_grace: "10s" } } });
    const prepared = await createRun(store, { namespace: "bench", pipelineName: "cancel", pipeline, args: {}, trigger: { kind: "manual", scheduled_at: null }, baseDir: dir, secretSource: {} });
    const controller = new RunController({ store, executor, logs: new LocalLogs(), dataDir: dir, slots: new Slots(TASKS + 4), nodePath: process.execPath, baseEnv: { ...process.env } }, prepared);
    const ended = controller.start();
    await waitFor(() => countMarks(marks, "ready-") === TASKS, "the tasks to start");
    await pause(SETTLE_MS);
    const startedAt = Date.now();
    controller.cancel("canceled by bench/cancel");
    const final = await ended;
    if (final.state !== "canceled") throw new Error(`the run ended ${final.state}`);
    return termTimes(marks, startedAt);
  } finally {
    await store.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-cancel-"));
  const local = new LocalExecutor();
  const supervisor = await SupervisorExecutor.startChild();
  const runs = { direct: [] as Round[], local: [] as Round[], supervisor: [] as Round[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      runs.direct.push(await directKill(dir));
      runs.local.push(await spireCancel(dir, local));
      runs.supervisor.push(await spireCancel(dir, supervisor));
    }
  } finally {
    await supervisor.shutdown();
    await local.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  const last = (rounds: Round[]) => median(rounds.map((round) => round.lastMs));
  const first = (rounds: Round[]) => median(rounds.map((round) => round.firstMs));
  const all = (rounds: Round[]) => rounds.map((round) => round.lastMs.toFixed(0)).join(", ");
  const baseline = last(runs.direct);
  const line = (label: string, rounds: Round[], ratio: boolean) =>
    console.log(
      `  ${label.padEnd(38)} last ${last(rounds).toFixed(0).padStart(4)} ms, first ${first(rounds).toFixed(0).padStart(4)} ms` +
        `  (rounds, last: ${all(rounds)})${ratio ? `  ${(last(rounds) / baseline).toFixed(2)}× the baseline; target ≤ ${TARGET_MS} ms: ${last(rounds) <= TARGET_MS ? "met" : "NOT met"}` : ""}`,
    );
  console.log(`bench/cancel: ${TASKS} running tasks, time from the cancel to each task's TERM trap, median of ${ROUNDS} rounds`);
  console.log(`machine: ${machine()}`);
  line("baseline: kill(-pgid) × N in one loop", runs.direct, false);
  line("spire, in-process (LocalExecutor)", runs.local, true);
  line("spire, through the supervisor", runs.supervisor, true);
  const file = saveResult("cancel", { tasks: TASKS, rounds: ROUNDS, direct: runs.direct, local: runs.local, supervisor: runs.supervisor, target_ms: TARGET_MS });
  console.log(`  raw figures: ${file}`);
}

await main();
