/** Reading a process's mark from /proc/<pid>/environ, on which the stray sweep rests (Linux). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { environLook, HAS_PROC } from "../../src/exec/process-tree.js";
import { until } from "../helpers/poll.js";

const PREFIX = "SPIRE_EXEC_ID=look-test.";
const onLinux = HAS_PROC ? {} : { skip: "/proc/<pid>/environ is Linux's" };

async function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
}

test("a marked process, one whose environment is empty for good, and one that ended", onLinux, async () => {
  const marked = spawn("sleep", ["5"], { env: { PATH: process.env.PATH, SPIRE_EXEC_ID: "look-test.7" } });
  const bare = spawn("env", ["-i", "sleep", "5"]);
  try {
    const look = environLook(marked.pid!, PREFIX);
    assert.ok(typeof look === "object", `the marked process is read: ${JSON.stringify(look)}`);
    assert.equal(look.entry, "SPIRE_EXEC_ID=look-test.7");
    assert.equal(look.info.pid, marked.pid);
    assert.equal(environLook(process.pid, PREFIX), "none", "this process carries no mark");
    // Once env -i has execed sleep (its arguments say so), its environment reads empty, and stays so.
    await until(() => readFileSync(`/proc/${bare.pid}/cmdline`, "latin1").startsWith("sleep\0"), "env -i to exec sleep");
    assert.equal(readFileSync(`/proc/${bare.pid}/environ`, "latin1"), "", "sleep's environment is empty");
    assert.equal(environLook(bare.pid!, PREFIX), "none");
  } finally {
    marked.kill("SIGKILL");
    bare.kill("SIGKILL");
    await Promise.all([ended(marked), ended(bare)]);
  }
  assert.equal(environLook(marked.pid!, PREFIX), "gone");
});

test("a marked process read over and over while it execs is never taken for an unmarked one", onLinux, async () => {
  // Mid-exec, the environment reads empty for a moment: read as "no mark", a daemon whose setsid was execing
  // sleep escaped the sweep. Each child execs twice (sh → sleep); the reads run from its spawn to its exit.
  const seen = new Map<string, number>();
  for (let round = 0; round < 100; round++) {
    const child = spawn("/bin/sh", ["-c", "exec /bin/sleep 0.01"], { env: { SPIRE_EXEC_ID: "look-test.8" } });
    const pid = child.pid!;
    // Synchronous reads, as the sweep's: the child's end shows as "gone" (a zombie, not reaped meanwhile).
    const started = performance.now();
    while (performance.now() - started < 50) {
      const look = environLook(pid, PREFIX);
      const name = typeof look === "object" ? look.entry : look;
      seen.set(name, (seen.get(name) ?? 0) + 1);
      if (look === "gone") break;
    }
    child.kill("SIGKILL");
    await ended(child);
  }
  assert.equal(seen.get("none"), undefined, `read as unmarked: ${JSON.stringify([...seen])}`);
  assert.ok((seen.get("SPIRE_EXEC_ID=look-test.8") ?? 0) > 0, `the mark was read: ${JSON.stringify([...seen])}`);
  console.log(`reads: ${JSON.stringify(Object.fromEntries(seen))}`);
});
