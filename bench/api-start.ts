/**
 * bench/api-start: how long `spire engine` takes from its spawn to "engine
 * listening" (its log line, written just after the address file), in a new
 * data folder (the first start: database, secret, token, supervisor) and
 * again in the same folder. Each engine is stopped with SIGTERM (which stops
 * its supervisor too) before the next starts. The engine's CPU time until
 * then (from /proc, 10 ms ticks) is printed too: on a loaded machine the wall
 * time is mostly waiting for a core.
 *
 *   npm run build && node dist/bench/api-start.js [--starts 5]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spireArgv, spireEnv, machine, percentile, saveResult } from "./lib.js";
import { sampleProcess } from "./proc.js";

const { values: options } = parseArgs({ options: { starts: { type: "string", default: "5" } } });
const STARTS = Number(options.starts);

/** Spawn → the "engine listening" line on stderr (wall and the engine's CPU, ms); then SIGTERM and the exit. */
async function timeOneStart(dataDir: string): Promise<{ wall: number; cpu: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, spireArgv("engine", "--listen", "127.0.0.1:0", "--data", dataDir), { stdio: ["ignore", "ignore", "pipe"], env: spireEnv() });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let log = "";
  const listening = await new Promise<{ wall: number; cpu: number }>((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      log += chunk;
      if (log.includes("engine listening")) resolve({ wall: performance.now() - started, cpu: sampleProcess(child.pid!)?.cpuMs ?? NaN });
    });
    void exited.then((code) => reject(new Error(`the engine exited ${code} before listening: ${log.slice(-2000)}`)));
  });
  child.kill("SIGTERM");
  if ((await exited) !== 0) throw new Error(`the engine did not stop cleanly: ${log.slice(-2000)}`);
  return listening;
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: percentile(sorted, 50), max: sorted[sorted.length - 1]!, all: values.map((ms) => Math.round(ms)) };
};

const dir = mkdtempSync(join(tmpdir(), "spire-bench-start-"));
try {
  console.log(`bench/api-start: node ${spireArgv("engine").join(" ")}, spawn → "engine listening", ${STARTS} times each`);
  console.log(`machine: ${machine()}; load average ${loadavg().map((value) => value.toFixed(2)).join(", ")}`);
  const fresh: { wall: number; cpu: number }[] = [];
  const again: { wall: number; cpu: number }[] = [];
  for (let index = 0; index < STARTS; index++) {
    const dataDir = join(dir, `data-${index}`);
    fresh.push(await timeOneStart(dataDir));
    again.push(await timeOneStart(dataDir));
  }
  const both = (starts: { wall: number; cpu: number }[]) => ({ wall: summary(starts.map((one) => one.wall)), cpu: summary(starts.map((one) => one.cpu)) });
  const result = { starts: STARTS, new_data_folder_ms: both(fresh), same_data_folder_ms: both(again) };
  const row = (label: string, s: ReturnType<typeof summary>) =>
    console.log(`   ${label.padEnd(26)} median ${s.median.toFixed(0).padStart(4)} ms   min ${s.min.toFixed(0).padStart(4)} ms   max ${s.max.toFixed(0).padStart(4)} ms   (${s.all.join(", ")})`);
  row("new data folder, wall", result.new_data_folder_ms.wall);
  row("new data folder, CPU", result.new_data_folder_ms.cpu);
  row("same data folder, wall", result.same_data_folder_ms.wall);
  row("same data folder, CPU", result.same_data_folder_ms.cpu);
  console.log(`saved ${saveResult("api-start", result)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
