/**
 * After each test, no child process may be left behind. Every process a test
 * starts inherits SPIRE_TEST_SESSION (set here, once per test file), so a scan
 * of /proc finds all of them, even those re-parented to init.
 */
import { afterEach } from "node:test";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import assert from "node:assert/strict";

const session = process.env.SPIRE_TEST_SESSION ?? randomBytes(6).toString("hex");
process.env.SPIRE_TEST_SESSION = session;
const marker = `SPIRE_TEST_SESSION=${session}`;

/** Whether `pid` is a process with code left to run: gone and zombies (waiting for init to reap them) are not. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/** Pids (other than this process) whose environment carries this file's session marker. */
export function leftoverProcesses(): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, "latin1");
      if (!environ.split("\0").includes(marker)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue; // a zombie has no code left to run
      found.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim() });
    } catch {
      // gone while we looked, or not ours to read
    }
  }
  return found;
}

/**
 * Waits (up to `withinMs`, polling /proc) until no marked process is left,
 * then fails the test with the survivors' command lines.
 */
export async function assertNoLeftoverProcesses(withinMs = 3000): Promise<void> {
  const deadline = Date.now() + withinMs;
  let left = leftoverProcesses();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    left = leftoverProcesses();
  }
  if (left.length > 0) {
    for (const { pid } of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  assert.deepEqual(left, [], "child processes were left behind");
}

/** Call once at the top of a test file that starts processes. */
export function checkNoLeftoverProcesses(): void {
  afterEach(() => assertNoLeftoverProcesses());
}
