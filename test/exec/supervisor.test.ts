/** The supervisor process, for real: stdio and socket transports, cancel, bad input, dead parents, dead supervisors, idle exit. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readLog } from "../../src/logs/log-file.js";
import type { LogLine } from "../../src/exec/port.js";
import { SupervisorExecutor } from "../../src/exec/supervisor/client.js";
import { startSocketSupervisor } from "../../src/exec/supervisor/daemon.js";
import { SUPERVISOR_MAIN } from "../../src/exec/supervisor/link.js";
import { attemptFiles, readAttemptRecords } from "../../src/exec/supervisor/attempt-files.js";
import { pidFileFor } from "../../src/exec/supervisor/pid-file.js";
import { LineSplitter } from "../../src/exec/supervisor/protocol.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { alive, specFor, until } from "./fixtures.js";

checkNoLeftoverProcesses();

/** Resolves with the first value `register` hands to its callback: turns an event into a promise. */
function once<T>(register: (callback: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

test("stdio: launch, started and done round trip, with output captured and records written", async (t) => {
  const dir = tempDir(t);
  const supervisor = await SupervisorExecutor.startChild();
  const lines: LogLine[] = [];
  const progress: number[][] = [];
  let startedPid = 0;
  const spec = specFor(dir, ["sh", "-c", "echo out; echo err >&2; echo ::progress::1/2; echo ::output::k=v; exit 0"]);
  const report = await supervisor.launch(spec, {
    onStart: (pid) => (startedPid = pid),
    onLine: (line) => lines.push(line),
    onProgress: (done, total) => progress.push([done, total]),
  }).done;
  assert.equal(report.state, "succeeded");
  assert.equal(report.exitCode, 0);
  assert.deepEqual(report.outputs, { k: "v" });
  assert.ok(startedPid > 0 && report.pid === startedPid, "onStart got the task's pid");
  assert.notEqual(startedPid, supervisor.pid, "the supervisor spawned it, not this process");
  assert.deepEqual(progress, [[1, 2]]);
  assert.deepEqual(lines.map((l) => `${l.stream}:${l.line}`).sort(), ["stderr:err", "stdout:::output::k=v", "stdout:::progress::1/2", "stdout:out"]);
  const log = await readLog(spec.logFile);
  assert.deepEqual(log.lines.filter((l) => l.stream === "stderr").map((l) => l.line), ["err"]);
  const records = await readAttemptRecords(spec.logFile);
  assert.deepEqual(records.result, report, "the result file holds the report");
  assert.equal(records.started?.pid, startedPid);
  assert.match(records.started?.pidStartTime ?? "", /^\d+$/);
  const supervisorPid = supervisor.pid;
  await supervisor.shutdown();
  assert.equal(alive(supervisorPid), false, "shutdown waits for the supervisor to exit");
});

test("stdio: cancel through the protocol ends the task's whole group", async (t) => {
  const dir = tempDir(t);
  const supervisor = await SupervisorExecutor.startChild();
  const lines: string[] = [];
  const handle = supervisor.launch(specFor(dir, ["sh", "-c", "sleep 30 & echo $!; wait"]), { onLine: (l) => lines.push(l.line) });
  await until(() => lines.length > 0, "the background pid", 5000);
  const background = Number(lines[0]);
  assert.ok(alive(background));
  handle.cancel("canceled by the test");
  const report = await handle.done;
  assert.equal(report.state, "canceled");
  assert.equal(report.reason, "canceled by the test");
  assert.equal(alive(report.pid!), false);
  assert.equal(alive(background), false, "the group's other member is gone too");
  await supervisor.shutdown();
});

test("malformed JSON and unknown request types get error events; the supervisor stays up", async () => {
  const child = spawn(process.execPath, [SUPERVISOR_MAIN, "--stdio"], { stdio: ["pipe", "pipe", "inherit"], env: process.env });
  const events: { type: string; message?: string }[] = [];
  const splitter = new LineSplitter((line) => events.push(JSON.parse(line) as { type: string }));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => splitter.push(chunk));
  // Split mid-message, and several in one write: framing must not care.
  child.stdin.write('{not json}\n{"type":"frobnicate"}\n[1,2]\n{"type":"launch","spec":{"id":"x"}}\n{"type":"li');
  child.stdin.write('st"}\n');
  await until(() => events.some((e) => e.type === "list"), "the list answer", 5000);
  const errors = events.filter((e) => e.type === "error").map((e) => e.message);
  assert.equal(errors.length, 4);
  assert.match(errors[0]!, /^malformed JSON/);
  assert.equal(errors[1], 'unknown request type "frobnicate"');
  assert.equal(errors[2], "a request must be a JSON object");
  assert.match(errors[3]!, /^launch: spec\.argv/);
  assert.equal(child.exitCode, null, "still running");
  const exited = once<number | null>((resolve) => child.once("exit", resolve));
  child.stdin.end();
  assert.equal(await exited, 0, "end of input: a clean exit");
});

test("a SIGKILLed parent: its supervisor cancels the task and exits", async (t) => {
  const dir = tempDir(t);
  const script = fileURLToPath(new URL("./supervisor-parent.fixture.js", import.meta.url));
  const parent = spawn(process.execPath, [script, dir], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  const line = await once<string>((resolve) => parent.stdout.setEncoding("utf8").once("data", resolve));
  const { supervisor, task, logFile } = JSON.parse(line) as { supervisor: number; task: number; logFile: string };
  assert.ok(alive(supervisor) && alive(task));
  parent.kill("SIGKILL");
  await until(() => !alive(task) && !alive(supervisor), "the task and the supervisor to end", 5000);
  const { result } = await readAttemptRecords(logFile);
  assert.equal(result?.state, "canceled");
  assert.equal(result?.reason, "canceled: the engine went away");
});

test("a SIGKILLed supervisor: pending handles resolve as failed, saying so", async (t) => {
  const dir = tempDir(t);
  const supervisor = await SupervisorExecutor.startChild();
  let taskPid = 0;
  const handle = supervisor.launch(specFor(dir, ["sleep", "30"]), { onStart: (pid) => (taskPid = pid) });
  await until(() => taskPid > 0, "the task to start", 5000);
  process.kill(supervisor.pid, "SIGKILL");
  const report = await handle.done;
  assert.equal(report.state, "failed");
  assert.equal(report.reason, "supervisor exited: killed by SIGKILL");
  assert.equal(report.pid, taskPid, "the pid is known, so the engine can look for it");
  process.kill(-taskPid, "SIGKILL"); // nothing can catch SIGKILL: its tasks are orphaned (ended here by hand)
  const late = await supervisor.launch(specFor(dir, ["true"])).done;
  assert.equal(late.reason, "supervisor exited: killed by SIGKILL", "later launches end at once");
  await supervisor.shutdown(); // returns at once: nothing to wait for
});

test("socket: tasks outlive the client; a new client lists, collects and acks the result", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "supervisor.sock");
  const { pid } = await startSocketSupervisor({ socketPath, idleExitMs: 0, logFile: join(dir, "supervisor.log") });
  assert.equal(statSync(socketPath).mode & 0o777, 0o600);
  assert.equal(readFileSync(pidFileFor(socketPath), "utf8").split(" ")[0], String(pid));

  const first = await SupervisorExecutor.connect(socketPath);
  const spec = specFor(dir, ["sh", "-c", "sleep 0.5; echo done; exit 3"]);
  const taskPid = await once<number>((resolve) => first.launch(spec, { onStart: resolve }));
  await first.disconnect();
  assert.ok(alive(taskPid), "the task goes on without a client");

  const second = await SupervisorExecutor.connect(socketPath);
  const listed = await second.list();
  assert.deepEqual(listed.map((a) => [a.id, a.state]), [[spec.id, "running"]]);
  const report = await second.adopt(spec.id).done;
  assert.equal(report.exitCode, 3);
  const [finished] = await second.list();
  assert.equal(finished?.state, "finished");
  assert.equal(finished?.state === "finished" && finished.report.exitCode, 3);
  assert.deepEqual((await readLog(spec.logFile)).lines.map((l) => l.line), ["done"]);
  const both = await readAttemptRecords(spec.logFile);
  assert.ok(both.started !== undefined && both.result?.exitCode === 3, "both records on disk");
  second.ack(spec.id);
  assert.deepEqual(await second.list(), [], "acked: forgotten");

  await assert.rejects(startSocketSupervisor({ socketPath }), new RegExp(`another supervisor \\(pid ${pid}\\) already serves`));
  await second.shutdown();
  await until(() => !alive(pid), "the supervisor to exit", 5000);
  assert.equal(existsSync(socketPath) || existsSync(pidFileFor(socketPath)), false, "socket and pid file removed");
});

test("socket: a second client is turned away while one is connected", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "s.sock");
  await startSocketSupervisor({ socketPath, idleExitMs: 0 });
  const first = await SupervisorExecutor.connect(socketPath);
  await assert.rejects(SupervisorExecutor.connect(socketPath), /another client is connected/);
  await first.shutdown();
});

test("socket: a SIGKILLed supervisor ends the client's pending handles, and a new one takes over its socket", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "s.sock");
  const { pid } = await startSocketSupervisor({ socketPath, idleExitMs: 0 });
  const client = await SupervisorExecutor.connect(socketPath);
  const spec = specFor(dir, ["sleep", "30"]);
  let taskPid = 0;
  const handle = client.launch(spec, { onStart: (p) => (taskPid = p) });
  await until(() => taskPid > 0, "the task to start", 5000);
  // The started record is written just after the spawn: the crash comes once it is on disk.
  const records = attemptFiles(spec.logFile).records;
  await until(() => existsSync(records) && readFileSync(records, "utf8").includes('"started"'), "the started record", 5000);
  process.kill(pid, "SIGKILL");
  const report = await handle.done;
  assert.equal(report.state, "failed");
  assert.match(report.reason ?? "", /^supervisor connection lost/);
  const { started, result } = await readAttemptRecords(spec.logFile);
  assert.equal(started?.pid, taskPid, "what a restarted engine would find: started, no result");
  assert.equal(result, undefined);
  assert.ok(alive(taskPid), "nothing can catch SIGKILL: its tasks are orphaned (ended here by hand)");
  process.kill(-taskPid, "SIGKILL");
  const next = await startSocketSupervisor({ socketPath, idleExitMs: 0 });
  assert.notEqual(next.pid, pid, "the stale pid file and socket did not stop a new supervisor");
  await (await SupervisorExecutor.connect(socketPath)).shutdown();
});

test("socket: exits when idle (no attempt, no client) and cleans up", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "s.sock");
  const { pid } = await startSocketSupervisor({ socketPath, idleExitMs: 200 });
  const client = await SupervisorExecutor.connect(socketPath);
  const report = await client.launch(specFor(dir, ["sh", "-c", "sleep 0.3"])).done;
  assert.equal(report.state, "succeeded", "not idle while a client is connected and a task runs");
  await client.disconnect();
  await until(() => !alive(pid), "the idle supervisor to exit", 5000);
  assert.equal(existsSync(socketPath), false);
});
