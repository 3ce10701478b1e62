/** Shared bits of the benchmarks: timing whole commands, machine facts, result files. */
import { spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SPIRE_BIN = join(REPO_ROOT, "bin", "spire.js");

/**
 * Node's arguments to run `spire ARGS…` as the installed command runs it:
 * the node flags of bin/spire.js's shebang, the script, ARGS (the benches
 * spawn process.execPath, so the flags would otherwise be lost; its
 * variables are spireEnv's).
 */
export function spireArgv(...args: string[]): string[] {
  return spireArgvWith([], ...args);
}

/** The same with more node flags, after the shebang's so that they win (`--engine-flags`). */
export function spireArgvWith(nodeFlags: string[], ...args: string[]): string[] {
  const shebang = readFileSync(SPIRE_BIN, "utf8").split("\n", 1)[0]!;
  const flags = shebang.split(/\s+/).filter((word) => word.startsWith("--"));
  return [...flags, ...nodeFlags, SPIRE_BIN, ...args];
}

/**
 * The environment `spire` runs with as the installed command: `base` with the
 * variables bin/spire.js's shebang sets (GLIBC_TUNABLES), `${NAME}` expanded
 * from `base` as `env -S` does. Benches that spawn process.execPath pass it.
 */
export function spireEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const words = readFileSync(SPIRE_BIN, "utf8").split("\n", 1)[0]!.split(/\s+/);
  const node = words.findIndex((word) => word === "node" || word.endsWith("/node"));
  const env = { ...base };
  for (const word of words.slice(0, Math.max(0, node))) {
    const match = /^([A-Za-z_]\w*)=(.*)$/.exec(word);
    if (match) env[match[1]!] = match[2]!.replace(/\$\{(\w+)\}/g, (_, name: string) => base[name] ?? "");
  }
  return env;
}

export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

/** Wall time of a command in ms; rejects when it exits non-zero. */
export function timeCommand(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** utime+stime and cutime+cstime of this process, in ms (Linux; zeros elsewhere). */
export function cpuTimes(): { self: number; children: number } {
  try {
    const fields = readFileSync("/proc/self/stat", "latin1").split(") ")[1]!.split(" ");
    const tick = 10; // USER_HZ is 100 on Linux
    return { self: (Number(fields[11]) + Number(fields[12])) * tick, children: (Number(fields[13]) + Number(fields[14])) * tick };
  } catch {
    return { self: 0, children: 0 };
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface Summary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
}

/** Percentiles (nearest rank), extremes and mean of a sample. */
export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
    min: sorted[0]!,
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}

export function saveResult(name: string, result: unknown): string {
  const dir = join(REPO_ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...(result as object) }, null, 2));
  return file;
}

/** A small deterministic PRNG, so a generated graph is the same in every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The offset that ties process.hrtime to the realtime clock: taken at a
 * millisecond edge of Date.now(), the narrowest of 10 brackets (a
 * preempted read gives a wide one). hrtime + offset = realtime ns.
 */
export function calibrateRealtime(): bigint {
  let best: { offset: bigint; width: bigint } | undefined;
  for (let round = 0; round < 10; round++) {
    let previous = Date.now();
    let previousHr = process.hrtime.bigint();
    for (;;) {
      const now = Date.now();
      const hr = process.hrtime.bigint();
      if (now !== previous) {
        const width = hr - previousHr;
        const offset = BigInt(now) * 1_000_000n - (previousHr + hr) / 2n;
        if (best === undefined || width < best.width) best = { offset, width };
        break;
      }
      previous = now;
      previousHr = hr;
    }
  }
  return best!.offset;
}
