/**
 * bench/pipeline-pages: what the UI's pipeline pages ask of a real `spire
 * engine`, over HTTP, from SQLite. 1,000 pipelines (each its own cron and
 * 20 tasks) applied through the API; 20 finished runs each, and 50 with
 * every task row for one of them, written through the store while the
 * engine is stopped (made by running them, they would take many minutes).
 * Then, timed:
 *   - GET /pipelines?recent=20: the home page, every pipeline with its last 20 runs;
 *   - GET /pipelines: the same without them;
 *   - GET /pipelines/bench/p0000/history?limit=50: the history grid, 20 tasks × 50 runs;
 *   - the home page the way it had to be asked before: GET /pipelines and one
 *     GET /runs?pipeline=…&limit=20 per pipeline.
 * Each with its wall time as the client sees it and the engine's CPU per
 * ask (from /proc: what it costs the engine, however busy the machine is).
 * Target (issue 14): the home page's request well under 100 ms.
 *
 *   npm run build && node dist/bench/pipeline-pages.js [--pipelines 1000] [--asks 20]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { newRunId } from "../src/engine/runs/ids.js";
import { blankTaskRow } from "../src/engine/runs/task-row.js";
import type { RunRow, Store } from "../src/store/port.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { startEngineProcess, stopEngineProcess, timedCall, type EngineProcess } from "./engine-process.js";
import { machine, percentile, saveResult } from "./lib.js";

const { values: options } = parseArgs({ options: { pipelines: { type: "string", default: "1000" }, asks: { type: "string", default: "20" }, keep: { type: "boolean", default: false } } });
const PIPELINES = Number(options.pipelines);
const ASKS = Number(options.asks);
const RUNS_EACH = 20;
const GRID_RUNS = 50;
const TASKS = 20;

const name = (i: number) => `p${String(i).padStart(4, "0")}`;

function definitions(): string {
  const tasks = Array.from({ length: TASKS }, (_, t) => `      t${t}:\n        run: echo step ${t}\n${t > 0 ? `        needs: [t${t - 1}]\n` : ""}`).join("");
  const pipelines = Array.from(
    { length: PIPELINES },
    (_, i) => `  ${name(i)}:\n    description: Pipeline number ${i}\n    triggers:\n      - cron: "${i % 60} ${i % 24} * * *"\n        timezone: Europe/Berlin\n    tasks:\n${tasks}`,
  );
  return `pipelines:\n${pipelines.join("")}`;
}

async function seed(store: Store): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < PIPELINES; i++) {
    const row = (await store.getPipeline("bench", name(i)))!;
    const count = i === 0 ? GRID_RUNS : RUNS_EACH;
    for (let r = 0; r < count; r++) {
      const created = now - (count - r) * 60_000 - i;
      const run: RunRow = {
        id: newRunId(created),
        namespace: "bench",
        pipeline: name(i),
        state: r % 7 === 3 ? "failed" : "succeeded",
        seed: r,
        trigger: { kind: "cron", scheduled_at: new Date(created).toISOString() },
        args: {},
        definition: row.definition,
        partition: null,
        reason: null,
        created_at: created,
        started_at: created + 5,
        finished_at: created + 1_000 + ((r * 37) % 500),
        warnings: 0,
        errors: 0,
        metrics: {},
      };
      await store.createRun(run, { run_id: run.id, ts: created, type: "run.created", task_path: null, attempt: null, data: {} });
      if (i !== 0) continue;
      await store.write(
        Array.from({ length: TASKS }, (_, t) => ({
          event: { run_id: run.id, ts: created, type: "task.finished", task_path: `t${t}`, attempt: 1, data: {} },
          task: blankTaskRow(run.id, `t${t}`, 1, { state: "succeeded", exit_code: 0, started_at: created + t * 40, finished_at: created + t * 40 + 30 + ((r * t) % 20) }),
        })),
      );
    }
  }
}

interface Timing {
  first_ms: number;
  median_ms: number;
  p95_ms: number;
  max_ms: number;
  /** The engine's CPU (user + system) per ask, over the asks after the first: what the answer costs it whatever else the machine runs. */
  engine_cpu_ms: number;
  bytes: number;
}

/** The engine process's CPU time so far, in ms (Linux: /proc/PID/stat, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function time(engine: EngineProcess, path: string): Promise<Timing> {
  const ask = async () => {
    const answer = await timedCall(engine, "GET", path);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text.slice(0, 500)}`);
    return answer;
  };
  const first = await ask();
  const times: number[] = [];
  const cpuBefore = cpuMs(engine.child.pid!);
  for (let i = 0; i < ASKS; i++) times.push((await ask()).ms);
  const engineCpu = (cpuMs(engine.child.pid!) - cpuBefore) / ASKS;
  times.sort((a, b) => a - b);
  return { first_ms: first.ms, median_ms: percentile(times, 50), p95_ms: percentile(times, 95), max_ms: times.at(-1)!, engine_cpu_ms: engineCpu, bytes: Buffer.byteLength(first.text) };
}

/** The home page before `recent`: the list, then each pipeline's last runs, one request each (4 at a time, as a browser would). */
async function theOldWay(engine: EngineProcess): Promise<number> {
  const started = process.hrtime.bigint();
  const { pipelines } = JSON.parse((await timedCall(engine, "GET", "/pipelines")).text) as { pipelines: { name: string }[] };
  const queue = [...pipelines];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await timedCall(engine, "GET", `/runs?namespace=bench&pipeline=${next.name}&limit=${RUNS_EACH}`);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-pipeline-pages-"));
  const data = join(dir, "data");
  const logFile = join(dir, "engine.log");
  console.log(`bench/pipeline-pages — ${PIPELINES} pipelines × ${RUNS_EACH} runs (${GRID_RUNS} × ${TASKS} tasks for the grid), ${ASKS} asks after the first — ${machine()}`);
  let engine = await startEngineProcess(data, logFile);
  try {
    const applied = await timedCall(engine, "POST", "/apply", { text: definitions(), namespace: "bench" });
    if (applied.status !== 200) throw new Error(`apply: ${applied.text.slice(0, 1000)}`);
    await stopEngineProcess(engine);
    const store = openSqliteStore(join(data, "spire.db"));
    await store.init();
    await seed(store);
    await store.close();
    engine = await startEngineProcess(data, logFile);

    const rows: Record<string, Timing> = {
      "GET /pipelines?recent=20": await time(engine, "/pipelines?recent=20"),
      "GET /pipelines": await time(engine, "/pipelines"),
      [`GET /pipelines/bench/p0000/history?limit=${GRID_RUNS}`]: await time(engine, `/pipelines/bench/${name(0)}/history?limit=${GRID_RUNS}`),
      "GET /pipelines/bench/p0000 (next 10 slots, YAML)": await time(engine, `/pipelines/bench/${name(0)}`),
    };
    console.log(`\n  request                                              first ask   median    p95      max   engine CPU/ask   answer    (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cpus)`);
    for (const [label, t] of Object.entries(rows)) {
      console.log(
        `  ${label.padEnd(52)} ${t.first_ms.toFixed(1).padStart(8)}  ${t.median_ms.toFixed(1).padStart(7)}  ${t.p95_ms.toFixed(1).padStart(7)}  ${t.max_ms.toFixed(1).padStart(7)}  ${t.engine_cpu_ms.toFixed(1).padStart(10)}     ${(t.bytes / 1024).toFixed(0)} KiB`,
      );
    }
    const old = await theOldWay(engine);
    console.log(`\n  the home page before ?recent: GET /pipelines + ${PIPELINES} × GET /runs?pipeline=… (4 at a time): ${old.toFixed(0)} ms`);
    console.log(`\nresult: ${saveResult("pipeline-pages", { pipelines: PIPELINES, runs_each: RUNS_EACH, rows, old_way_ms: old })}`);
  } finally {
    await stopEngineProcess(engine);
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
