/**
 * Processes found by a marker in their environment (`NAME=value`), with
 * nothing else done on import: each test file's check (leaks.ts) and the
 * whole run's (scripts/test.js, which loads the compiled file) use it.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Whether `pid` is a process with code left to run: gone and zombies (waiting for init to reap them) are not. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/** Running pids (other than this process) whose environment carries `marker`, with their command lines. */
export function markedProcesses(marker: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(marker) || !isRunning(pid)) continue;
      found.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim() });
    } catch {
      // gone while we looked, or not ours to read
    }
  }
  return found;
}
