/** Shared by the exec tests: a LaunchSpec for a temp folder, and process liveness from /proc. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LaunchSpec } from "../../src/exec/port.js";

let counter = 0;

export function specFor(dir: string, argv: string[], extra: Partial<LaunchSpec> = {}): LaunchSpec {
  const n = ++counter;
  const outputFile = join(dir, `out-${n}.txt`);
  return {
    id: `test:${n}`,
    argv,
    cwd: dir,
    // The leak check finds strays through SPIRE_TEST_SESSION, so children must inherit it.
    env: { ...(process.env as Record<string, string>), SPIRE_OUTPUT: outputFile },
    logFile: join(dir, "logs", `task-${n}.log`),
    outputFile,
    killGraceMs: 2000,
    secrets: [],
    ...extra,
  };
}

/** Running (or stopped) — a zombie or a missing pid is not alive. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

export function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

/** Resolves when `predicate` holds, polling (for what has no event); rejects after `ms`. */
export async function until(predicate: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
