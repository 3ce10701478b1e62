/**
 * Spawn throughput of the three ways to run N no-op tasks (`echo hi`) at
 * parallelism P: a bare `spawn` loop (stdio ignored), LocalExecutor in this
 * process, and SupervisorExecutor (a supervisor child spawns them). Each
 * with this process's heap small, then holding ~500 MB — fork cost grows
 * with the forking process's memory, which is the supervisor's reason to
 * exist. Not a test file (slow); run:
 *   node dist/test/exec/supervisor-bench.js [N] [P] [ballastMB]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Executor } from "../../src/exec/port.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { SupervisorExecutor } from "../../src/exec/supervisor/client.js";

const total = Number(process.argv[2] ?? 5000);
const parallelism = Number(process.argv[3] ?? 2);
const ballastMb = Number(process.argv[4] ?? 500);

async function pool(run: (index: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < total) await run(next++);
  };
  await Promise.all(Array.from({ length: parallelism }, worker));
  return total / ((performance.now() - started) / 1000);
}

function bareSpawn(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("echo", ["hi"], { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", () => resolve());
  });
}

async function viaExecutor(executor: Executor, dir: string): Promise<number> {
  mkdirSync(dir);
  let failed = 0;
  const env = { ...process.env } as Record<string, string>;
  const rate = await pool(async (index) => {
    const spec = { id: `bench:${index}`, argv: ["echo", "hi"], cwd: dir, env, logFile: join(dir, `${index}.log`), outputFile: join(dir, `${index}.out`), killGraceMs: 1000, secrets: [] };
    const report = await executor.launch(spec).done;
    if (report.state !== "succeeded" && failed++ === 0) console.error("not succeeded:", JSON.stringify(report));
  });
  if (failed > 0) throw new Error(`${failed} tasks did not succeed`);
  return rate;
}

async function round(label: string): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-"));
  try {
    const bare = await pool(bareSpawn);
    const local = await viaExecutor(new LocalExecutor(), join(dir, "local"));
    const supervisor = await SupervisorExecutor.startChild();
    const remote = await viaExecutor(supervisor, join(dir, "supervisor"));
    await supervisor.shutdown();
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(`${label} (rss ${rss.toFixed(0)} MB): bare ${bare.toFixed(0)}/s, LocalExecutor ${local.toFixed(0)}/s (${(local / bare).toFixed(2)}×), SupervisorExecutor ${remote.toFixed(0)}/s (${(remote / bare).toFixed(2)}×)`);
    return { bare, local, remote };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${total} × echo hi, parallelism ${parallelism}`);
await pool(bareSpawn); // warm the page cache and the JIT
await round("small heap");
await round("small heap");
const ballast: number[][] = [];
for (let i = 0; i < ballastMb / 8; i++) ballast.push(new Array(1024 * 1024).fill(i)); // 8 MB each
await round(`${ballastMb} MB ballast`);
await round(`${ballastMb} MB ballast`);
console.log(`ballast kept alive: ${ballast.length} arrays`);
