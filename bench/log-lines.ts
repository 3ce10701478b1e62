/**
 * bench/log-lines: a task prints 1,000,000 lines (a tenth on stderr) on a
 * real `spire engine`; then the screens a virtualized log view asks for,
 * over HTTP: the first 200 lines (`from_line=0&limit=200`), the last 200
 * (`tail=200`), 200 from the middle, and the last 200 of stderr alone.
 * Each is timed while the task still prints (a live log), once it has
 * finished (its index in memory), after an engine restart (the index read
 * from beside the log), and after a restart with that file removed (the
 * first ask reads the whole log). Target (issue 14): each screen well
 * under 100 ms.
 *
 *   npm run build && node dist/bench/log-lines.js [--lines 1000000] [--asks 20]
 */
import { mkdtempSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEngineProcess, stopEngineProcess, timedCall, type EngineProcess } from "./engine-process.js";
import { machine, percentile, saveResult } from "./lib.js";

const { values: options } = parseArgs({ options: { lines: { type: "string", default: "1000000" }, asks: { type: "string", default: "20" }, keep: { type: "boolean", default: false } } });
const LINES = Number(options.lines);
const ASKS = Number(options.asks);

const YAML = `
pipelines:
  million:
    tasks:
      print:
        run: >-
          seq ${LINES} | awk '{ if ($1 % 10 == 0) print "error " $1 " of the output" > "/dev/stderr";
          else print "line " $1 " of the output, with a few more words to make it look real" }'
`;

const SCREENS: Record<string, string> = {
  "first screen (from_line=0&limit=200)": "from_line=0&limit=200",
  "last screen (tail=200)": "tail=200",
  "middle (from_line=500000&limit=200)": `from_line=${Math.floor(LINES / 2)}&limit=200`,
  "stderr, last screen (stream=stderr&tail=200)": "stream=stderr&tail=200",
};

interface Timing {
  first_ms: number;
  median_ms: number;
  p95_ms: number;
  max_ms: number;
  total_lines: number;
}

async function ask(engine: EngineProcess, runId: string, query: string): Promise<{ ms: number; total: number }> {
  const answer = await timedCall(engine, "GET", `/runs/${runId}/tasks/print/logs?${query}`);
  if (answer.status !== 200) throw new Error(`${query}: ${answer.status} ${answer.text}`);
  const lines = answer.text.trimEnd().split("\n").length;
  if (lines !== 200 && answer.headers.get("spire-total-lines") !== "0") throw new Error(`${query}: ${lines} lines, expected 200`);
  return { ms: answer.ms, total: Number(answer.headers.get("spire-total-lines")) };
}

async function timeScreens(engine: EngineProcess, runId: string): Promise<Record<string, Timing>> {
  const out: Record<string, Timing> = {};
  for (const [label, query] of Object.entries(SCREENS)) {
    const first = await ask(engine, runId, query);
    const times: number[] = [];
    for (let i = 0; i < ASKS; i++) times.push((await ask(engine, runId, query)).ms);
    times.sort((a, b) => a - b);
    out[label] = { first_ms: first.ms, median_ms: percentile(times, 50), p95_ms: percentile(times, 95), max_ms: times.at(-1)!, total_lines: first.total };
  }
  return out;
}

function print(title: string, timings: Record<string, Timing>): void {
  console.log(`\n${title}`);
  console.log("  screen                                          first ask   median    p95      max     lines in view");
  for (const [label, t] of Object.entries(timings)) {
    console.log(`  ${label.padEnd(46)}  ${t.first_ms.toFixed(1).padStart(7)}  ${t.median_ms.toFixed(1).padStart(7)}  ${t.p95_ms.toFixed(1).padStart(7)}  ${t.max_ms.toFixed(1).padStart(7)}  ${t.total_lines}`);
  }
}

async function runState(engine: EngineProcess, id: string): Promise<string> {
  return (JSON.parse((await timedCall(engine, "GET", `/runs/${id}`)).text) as { state: string }).state;
}

/** tail=200 asked every 50 ms while the task prints: how long each took, and how far the count had got. */
async function whileLive(engine: EngineProcess, id: string): Promise<{ asks: number; median_ms: number; p95_ms: number; max_ms: number; counts_seen: number[] }> {
  const times: number[] = [];
  const counts: number[] = [];
  while ((await runState(engine, id)) !== "succeeded") {
    const answer = await timedCall(engine, "GET", `/runs/${id}/tasks/print/logs?tail=200`);
    if (answer.status === 200) {
      times.push(answer.ms);
      counts.push(Number(answer.headers.get("spire-total-lines")));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { asks: times.length, median_ms: percentile(sorted, 50), p95_ms: percentile(sorted, 95), max_ms: sorted.at(-1) ?? NaN, counts_seen: counts };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-log-lines-"));
  const data = join(dir, "data");
  const logFile = join(dir, "engine.log");
  console.log(`bench/log-lines — ${LINES} lines, ${ASKS} asks per screen after the first — ${machine()}`);
  let engine = await startEngineProcess(data, logFile);
  try {
    const applied = await timedCall(engine, "POST", "/apply", { text: YAML, namespace: "bench" });
    if (applied.status !== 200) throw new Error(`apply: ${applied.text}`);
    const started = await timedCall(engine, "POST", "/pipelines/bench/million/runs", {});
    const id = (JSON.parse(started.text) as { id: string }).id;
    const live = await whileLive(engine, id);
    console.log(`\nwhile the task printed: tail=200 asked ${live.asks} times, median ${live.median_ms.toFixed(1)} ms, p95 ${live.p95_ms.toFixed(1)} ms, max ${live.max_ms.toFixed(1)} ms; counts seen ${live.counts_seen.slice(0, 3).join(", ")} … ${live.counts_seen.slice(-2).join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the index made when the attempt ended
    const finished = await timeScreens(engine, id);
    print("finished, index in memory (ms)", finished);

    await stopEngineProcess(engine);
    engine = await startEngineProcess(data, logFile);
    const restarted = await timeScreens(engine, id);
    print("after a restart: the index read from beside the log (ms)", restarted);

    await stopEngineProcess(engine);
    const taskDir = join(data, "runs", id, "tasks", "print");
    for (const file of readdirSync(taskDir)) if (file.endsWith(".lines")) rmSync(join(taskDir, file));
    engine = await startEngineProcess(data, logFile);
    const unindexed = await timeScreens(engine, id);
    print("after a restart with the index removed: the first ask reads the whole log (ms)", unindexed);
    console.log(`\nresult: ${saveResult("log-lines", { lines: LINES, live, finished, restarted, unindexed })}`);
  } finally {
    await stopEngineProcess(engine);
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
