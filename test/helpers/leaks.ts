/**
 * After each test, no child process may be left behind. Every process a test
 * starts inherits SPIRE_TEST_SESSION (set here, once per test file), so a scan
 * of /proc finds all of them, even those re-parented to init.
 */
import { afterEach } from "node:test";
import { randomBytes } from "node:crypto";
import { markedProcesses } from "./marked-processes.js";
import assert from "node:assert/strict";

export { isRunning } from "./marked-processes.js";

const session = process.env.SPIRE_TEST_SESSION ?? randomBytes(6).toString("hex");
process.env.SPIRE_TEST_SESSION = session;
const marker = `SPIRE_TEST_SESSION=${session}`;

/** Pids (other than this process) whose environment carries this file's session marker. */
export function leftoverProcesses(): { pid: number; cmdline: string }[] {
  return markedProcesses(marker);
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
