/** Process supervision with real processes: timeouts, cancel, grace, strays, start failures, burst. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { readLog } from "../../src/logs/log-file.js";
import type { LaunchEvents, LogLine } from "../../src/exec/port.js";
import { commandFor } from "../../src/runners/runners.js";
import type { TaskDef } from "../../src/definitions/schema.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { alive, pgidOf, specFor, until } from "./fixtures.js";

checkNoLeftoverProcesses();
const executor = new LocalExecutor();

/** Collects stdout lines, so a test can wait for the pids a task prints. */
function lineCollector(): { lines: string[]; events: LaunchEvents } {
  const lines: string[] = [];
  return { lines, events: { onLine: (line: LogLine) => line.stream === "stdout" && lines.push(line.line) } };
}

test("a timeout ends the whole group, grandchildren included", async (t) => {
  const dir = tempDir(t);
  const { lines, events } = lineCollector();
  const spec = specFor(dir, ["sh", "-c", "sleep 30 & a=$!; sleep 30 & b=$!; echo $a $b; wait"], { timeoutMs: 300 });
  const handle = executor.launch(spec, events);
  await until(() => lines.length > 0, "the pids", 5000);
  const pids = lines[0]!.split(" ").map(Number);
  assert.equal(pids.length, 2);
  for (const pid of pids) assert.ok(alive(pid), `grandchild ${pid} runs before the timeout`);
  const report = await handle.done;
  assert.equal(report.state, "timed_out");
  assert.equal(report.reason, "timed out after 300ms");
  assert.ok(report.finishedAt - report.startedAt >= 300);
  for (const pid of [report.pid!, ...pids]) assert.equal(alive(pid), false, `${pid} is gone once done resolves`);
});

test("cancel ends the group and a descendant that left it with setsid", async (t) => {
  const dir = tempDir(t);
  const { lines, events } = lineCollector();
  const spec = specFor(dir, ["sh", "-c", "setsid sleep 30 & echo $!; sleep 30 & echo $!; wait"]);
  const handle = executor.launch(spec, events);
  await until(() => lines.length >= 2, "the pids", 5000);
  const [escaped, inGroup] = lines.map(Number) as [number, number];
  await until(() => alive(escaped) && pgidOf(escaped) !== pgidOf(inGroup), "setsid to take effect", 5000);
  handle.cancel("canceled by the test");
  handle.cancel("a second cancel changes nothing");
  const report = await handle.done;
  assert.equal(report.state, "canceled");
  assert.equal(report.reason, "canceled by the test");
  assert.equal(alive(inGroup), false);
  assert.equal(alive(escaped), false, "the setsid descendant is gone too");
});

test("cancel ends a descendant that left the group and cleared its environment, found through its parent, after the grace", async (t) => {
  const dir = tempDir(t);
  const { lines, events } = lineCollector();
  // TERM ignored by both (inherited), and no SPIRE_EXEC_ID on the escapee: only the parent link leads to it, and only SIGKILL ends it.
  const spec = specFor(dir, ["sh", "-c", "trap '' TERM; env -i setsid sleep 30 & echo $!; wait"], { killGraceMs: 300 });
  const handle = executor.launch(spec, events);
  await until(() => lines.length >= 1, "the pid", 5000);
  const escaped = Number(lines[0]);
  t.after(() => alive(escaped) && process.kill(escaped, "SIGKILL"));
  await until(() => alive(escaped) && pgidOf(escaped) === escaped, "setsid to take effect", 5000);
  handle.cancel("canceled by the test");
  const report = await handle.done;
  assert.equal(report.state, "canceled");
  assert.equal(alive(escaped), false, "the escapee is gone once done resolves");
});

test("background children left after a normal exit are killed before done resolves", async (t) => {
  const dir = tempDir(t);
  // One keeps the output pipe open, one does not; one more leaves the group and keeps the pipe.
  const spec = specFor(dir, ["sh", "-c", "sleep 30 & echo $!; sleep 30 >/dev/null 2>&1 & echo $!; setsid sleep 30 & echo $!; sleep 0.2; echo done"]);
  const started = Date.now();
  const report = await executor.launch(spec).done;
  assert.equal(report.state, "succeeded");
  assert.ok(Date.now() - started < 3000, "done did not wait for the strays to end by themselves");
  const { lines } = await readLog(spec.logFile, { stream: "stdout" });
  const pids = lines.slice(0, 3).map((l) => Number(l.line));
  assert.deepEqual(lines.at(-1)?.line, "done");
  for (const pid of pids) assert.equal(alive(pid), false, `${pid} is gone`);
});

test("kill_grace: a task that traps SIGTERM gets SIGKILL after the grace", async (t) => {
  const dir = tempDir(t);
  const { lines, events } = lineCollector();
  const spec = specFor(dir, ["sh", "-c", "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.02; done"], { killGraceMs: 400 });
  const handle = executor.launch(spec, events);
  await until(() => lines.includes("ready"), "ready", 5000);
  const canceledAt = Date.now();
  handle.cancel("stop");
  const report = await handle.done;
  const took = Date.now() - canceledAt;
  assert.equal(report.state, "canceled");
  assert.ok(took >= 380, `waited the grace before SIGKILL (took ${took}ms)`);
  assert.ok(took < 3000, `but not much longer (took ${took}ms)`);
  assert.ok(lines.includes("got-term"), "SIGTERM came first");
  assert.equal(alive(report.pid!), false);
});

test("a task that ends on SIGTERM is not kept for the grace", async (t) => {
  const dir = tempDir(t);
  const handle = executor.launch(specFor(dir, ["sleep", "30"], { killGraceMs: 10_000 }));
  const started = Date.now();
  handle.cancel("stop");
  const report = await handle.done;
  assert.equal(report.state, "canceled");
  assert.ok(Date.now() - started < 2000);
});

test("a signal not sent by Spire fails the attempt and says so", async (t) => {
  const dir = tempDir(t);
  const report = await executor.launch(specFor(dir, ["sh", "-c", "kill -KILL $$"])).done;
  assert.equal(report.state, "failed");
  assert.equal(report.exitCode, null);
  assert.equal(report.signal, "SIGKILL");
  assert.match(report.reason ?? "", /killed by SIGKILL \(not sent by Spire/);
});

test("a command that cannot start: 127 or 126, a message saying what to do, also in the log", async (t) => {
  const dir = tempDir(t);
  const missing = specFor(dir, ["spire-no-such-command", "x"]);
  const report = await executor.launch(missing).done;
  assert.equal(report.state, "failed");
  assert.equal(report.exitCode, 127);
  assert.equal(report.pid, null);
  assert.equal(report.reason, "command not found: spire-no-such-command — is it installed and on PATH?");
  assert.deepEqual((await readLog(missing.logFile)).lines.map((l) => [l.stream, l.line]), [["stderr", `spire: ${report.reason}`]]);

  const badCwd = await executor.launch(specFor(dir, ["true"], { cwd: join(dir, "nope") })).done;
  assert.deepEqual([badCwd.exitCode, badCwd.reason], [127, `working directory does not exist: ${join(dir, "nope")}`]);

  const notExecutable = join(dir, "plain.sh");
  writeFileSync(notExecutable, "echo hi\n");
  chmodSync(notExecutable, 0o644);
  const denied = await executor.launch(specFor(dir, [notExecutable])).done;
  assert.equal(denied.exitCode, 126);
  assert.match(denied.reason ?? "", /^permission denied: .*chmod \+x/);

  const empty = await executor.launch(specFor(dir, [])).done;
  assert.deepEqual([empty.state, empty.exitCode], ["failed", 127]);
});

test("values reach the task literally through argv and env, and run nothing", async (t) => {
  const dir = tempDir(t);
  const evil = `$(touch ${join(dir, "pwned")}); id \`touch ${join(dir, "pwned2")}\``;
  const base: Pick<TaskDef, "needs" | "on_fail" | "on_done"> = { needs: [], on_fail: [], on_done: [] };
  const viaExec = commandFor({ ...base, kind: "exec", exec: ["printf", "%s\\n", evil] } as TaskDef, { cwd: dir, nodePath: process.execPath });
  const viaEnv = commandFor({ ...base, kind: "run", run: `printf '%s\\n' "$EVIL"` } as TaskDef, { cwd: dir, nodePath: process.execPath });
  assert.ok("argv" in viaExec && "argv" in viaEnv);
  for (const argv of [viaExec.argv, viaEnv.argv]) {
    const spec = specFor(dir, argv);
    spec.env = { ...spec.env, EVIL: evil };
    const report = await executor.launch(spec).done;
    assert.equal(report.state, "succeeded");
    assert.deepEqual(report.tail.map((l) => l.line), [evil]);
  }
  assert.equal(existsSync(join(dir, "pwned")), false);
  assert.equal(existsSync(join(dir, "pwned2")), false);
});

test("a burst of 500 no-op tasks at parallelism 4 all succeed", async (t) => {
  const dir = tempDir(t);
  const states = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < 500) {
      next++;
      const { state } = await executor.launch(specFor(dir, ["true"])).done;
      states.set(state, (states.get(state) ?? 0) + 1);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  assert.deepEqual([...states], [["succeeded", 500]]);
  assert.equal(executor.runningCount, 0);
});

test("shutdown cancels what runs, waits for it, and refuses new work", async (t) => {
  const dir = tempDir(t);
  const own = new LocalExecutor();
  const handles = [own.launch(specFor(dir, ["sleep", "30"])), own.launch(specFor(dir, ["sh", "-c", "sleep 30; true"]))];
  await own.shutdown();
  for (const handle of handles) {
    const report = await handle.done;
    assert.equal(report.state, "canceled");
    assert.equal(alive(report.pid!), false);
  }
  const late = await own.launch(specFor(dir, ["true"])).done;
  assert.equal(late.state, "canceled");
  assert.equal(late.pid, null);
});

/** Shell: writes the group of a process to `file` once it is its own (setsid takes effect after the fork), or after a second (field 5 of /proc/<pid>/stat; the command names here have no spaces). */
const writeGroupOf = (pid: string, file: string) =>
  `p=${pid}; for i in $(seq 100); do g=$(cut -d' ' -f5 /proc/$p/stat); [ "$g" = "$p" ] && break; sleep 0.01; done; echo $g > "${file}"`;

test("a daemon that left the group and closed its output is found by the stray sweep", async (t) => {
  const dir = tempDir(t);
  const own = new LocalExecutor();
  const daemon = `setsid sleep 30 </dev/null >/dev/null 2>&1 & echo $! > "$SPIRE_OUTPUT.pid"; sleep 0.3; ${writeGroupOf("$!", "$SPIRE_OUTPUT.pgid")}`;
  const spec = specFor(dir, ["sh", "-c", daemon]);
  const report = await own.launch(spec).done;
  assert.equal(report.state, "succeeded");
  const pid = Number(readFileSync(`${spec.outputFile}.pid`, "utf8"));
  assert.equal(Number(readFileSync(`${spec.outputFile}.pgid`, "utf8")), pid, "the daemon had left the task's group");
  await until(() => !alive(pid), "the sweep to kill the daemon", 4000);
});

test("a daemon started by a short task amid a burst, through a parent that already ended, is found when the task ends", async (t) => {
  const dir = tempDir(t);
  const own = new LocalExecutor();
  const pidFile = join(dir, "daemon.pid");
  // The task lives only until the daemon's pid is written: the look at its window of pids must find it, though the
  // process between them (the outer setsid sh) has ended, and other tasks' leaders fill the window.
  const daemon = `setsid sh -c 'setsid sleep 30 </dev/null >/dev/null 2>&1 & echo $! > "${pidFile}"' </dev/null >/dev/null 2>&1 & while [ ! -s "${pidFile}" ]; do sleep 0.01; done; ${writeGroupOf(`$(cat "${pidFile}")`, `${pidFile}.pgid`)}`;
  const specs = Array.from({ length: 24 }, (_, index) => specFor(dir, index === 12 ? ["sh", "-c", daemon] : ["true"]));
  let next = 0;
  const worker = async () => {
    while (next < specs.length) assert.equal((await own.launch(specs[next++]!).done).state, "succeeded");
  };
  await Promise.all([worker(), worker(), worker()]);
  const pid = Number(readFileSync(pidFile, "utf8"));
  assert.equal(Number(readFileSync(`${pidFile}.pgid`, "utf8")), pid, "the daemon had left the task's group");
  await until(() => !alive(pid), "the daemon to be killed", 4000);
  await own.shutdown();
});
