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


export function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

export { alive, until } from "../helpers/poll.js";
