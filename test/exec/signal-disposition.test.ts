/** Reading whether a process catches or ignores a signal, from /proc: what tells a task's own exit from one the cancel caused. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { handlesSignalSync } from "../../src/exec/process-tree.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";

checkNoLeftoverProcesses();

async function shell(script: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
  // The script says "ready" once its traps are set.
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  return {
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

test("a trapped or ignored SIGTERM is handled; a default one is not; a process that is gone is unknown", async () => {
  const plain = await shell("echo ready; while :; do sleep 0.05; done");
  const trapping = await shell("trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done");
  const ignoring = await shell("trap '' TERM; echo ready; while :; do sleep 0.05; done");
  try {
    assert.equal(handlesSignalSync(plain.pid, constants.signals.SIGTERM), false);
    assert.equal(handlesSignalSync(trapping.pid, constants.signals.SIGTERM), true);
    assert.equal(handlesSignalSync(ignoring.pid, constants.signals.SIGTERM), true);
    assert.equal(handlesSignalSync(plain.pid, constants.signals.SIGKILL), false, "SIGKILL can be neither caught nor ignored");
  } finally {
    await Promise.all([plain.stop(), trapping.stop(), ignoring.stop()]);
  }
  assert.equal(handlesSignalSync(plain.pid, constants.signals.SIGTERM), undefined);
});
