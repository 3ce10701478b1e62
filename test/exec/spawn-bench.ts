/**
 * Spawn throughput: N no-op tasks at parallelism P through LocalExecutor,
 * against a bare `spawn` loop (stdio ignored) on the same machine, both
 * twice, interleaved, best of each kept. Not a test file (it is slow);
 * run it with:  node dist/test/exec/spawn-bench.js [N] [P]
 * It prints both rates and their ratio; the target is a ratio of at least 0.85.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalExecutor } from "../../src/exec/local-executor.js";

const total = Number(process.argv[2] ?? 5000);
const parallelism = Number(process.argv[3] ?? 2);

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
    const child = spawn("true", [], { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", () => resolve());
  });
}

/** The same with two output pipes read to their end: what any capture of stdout and stderr apart costs. */
function bareSpawnWithPipes(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("true", [], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    let open = 3;
    const one = () => --open === 0 && resolve();
    child.once("error", reject);
    child.stdout.resume().once("end", one);
    child.stderr.resume().once("end", one);
    child.once("exit", one);
  });
}

async function viaExecutor(dir: string): Promise<number> {
  const executor = new LocalExecutor();
  let failed = 0;
  const rate = await pool(async (index) => {
    const report = await executor.launch({
      id: `bench:${index}`,
      argv: ["true"],
      cwd: dir,
      env: { ...process.env } as Record<string, string>,
      logFile: join(dir, `${index}.log`),
      outputFile: join(dir, `${index}.out`),
      killGraceMs: 1000,
      secrets: [],
    }).done;
    if (report.state !== "succeeded") failed++;
  });
  if (failed > 0) throw new Error(`${failed} tasks did not succeed`);
  return rate;
}

const dir = mkdtempSync(join(tmpdir(), "spire-bench-"));
try {
  const bare: number[] = [];
  const piped: number[] = [];
  const executor: number[] = [];
  for (let round = 0; round < 2; round++) {
    bare.push(await pool(bareSpawn));
    piped.push(await pool(bareSpawnWithPipes));
    executor.push(await viaExecutor(dir));
  }
  const best = (rates: number[]) => Math.max(...rates);
  console.log(`${total} × true, parallelism ${parallelism}`);
  console.log(`bare spawn (stdio ignore): ${best(bare).toFixed(0)}/s  (rounds: ${bare.map((r) => r.toFixed(0)).join(", ")})`);
  console.log(`bare spawn, two pipes:      ${best(piped).toFixed(0)}/s  (rounds: ${piped.map((r) => r.toFixed(0)).join(", ")})`);
  console.log(`LocalExecutor:             ${best(executor).toFixed(0)}/s  (rounds: ${executor.map((r) => r.toFixed(0)).join(", ")})`);
  console.log(`ratio to bare: ${(best(executor) / best(bare)).toFixed(3)}; to bare with pipes: ${(best(executor) / best(piped)).toFixed(3)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
