/**
 * A cancel (fail_fast, a person, a timeout) that races the task's own exit:
 * the attempt is recorded as canceled only when the cancel reached the
 * process while it still ran. Made deterministic by holding this thread
 * (synchronously, so Node cannot report the exit meanwhile) until the task
 * has exited, at the two moments the race can be lost.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import type { LaunchEvents } from "../../src/exec/port.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { specFor } from "./fixtures.js";

checkNoLeftoverProcesses();
const executor = new LocalExecutor();

/** The process's state letter (R, S, Z, …), read from /proc. */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
}

/** Blocks this thread until the process has exited (a zombie: Node has not reaped it, and cannot while we block). */
function holdUntilExited(pid: number): void {
  const deadline = Date.now() + 10_000;
  while (stateOf(pid) !== "Z") if (Date.now() > deadline) throw new Error(`process ${pid} did not exit`);
}

test("a task that exited 0 just before the cancel (its exit not yet reported) succeeded", async (t) => {
  const dir = tempDir(t);
  let handle: ReturnType<typeof executor.launch> | undefined;
  const events: LaunchEvents = {
    onStart(pid) {
      holdUntilExited(pid);
      handle!.cancel("fail_fast: a sibling failed");
    },
  };
  handle = executor.launch(specFor(dir, ["sh", "-c", "echo done; exit 0"]), events);
  const report = await handle.done;
  assert.deepEqual([report.state, report.exitCode, report.reason], ["succeeded", 0, null]);
});

test("a task that exits 0 after the cancel was asked for but before its signal went out succeeded", async (t) => {
  const dir = tempDir(t);
  let handle: ReturnType<typeof executor.launch> | undefined;
  let runningAtCancel = "";
  const events: LaunchEvents = {
    onStart(pid) {
      runningAtCancel = stateOf(pid);
      // The signal goes out once the code that asked for it has run (with the other stops of the moment): the exit comes first.
      handle!.cancel("fail_fast: a sibling failed");
      holdUntilExited(pid);
    },
  };
  handle = executor.launch(specFor(dir, ["sh", "-c", "sleep 0.3; exit 0"]), events);
  const report = await handle.done;
  assert.notEqual(runningAtCancel, "Z", "the task still ran when the cancel was asked for");
  assert.deepEqual([report.state, report.exitCode, report.reason], ["succeeded", 0, null]);
});

test("a task that exits on its own with a failure after a cancel it never saw keeps its exit code", async (t) => {
  const dir = tempDir(t);
  let handle: ReturnType<typeof executor.launch> | undefined;
  const events: LaunchEvents = {
    onStart(pid) {
      handle!.cancel("fail_fast: a sibling failed");
      holdUntilExited(pid);
    },
  };
  handle = executor.launch(specFor(dir, ["sh", "-c", "sleep 0.3; exit 3"]), events);
  const report = await handle.done;
  assert.deepEqual([report.state, report.exitCode], ["failed", 3]);
});

test("a task the cancel reached is canceled, even when it then exits 0 (it traps TERM)", async (t) => {
  const dir = tempDir(t);
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const spec = specFor(dir, ["sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done"]);
  const handle = executor.launch(spec, { onLine: (line) => line.line === "ready" && markReady() });
  await ready;
  handle.cancel("canceled by the test");
  const report = await handle.done;
  assert.deepEqual([report.state, report.exitCode, report.reason], ["canceled", 0, "canceled by the test"]);
});
