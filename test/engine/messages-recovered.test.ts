/**
 * A task's warning and error texts survive the engine: a task that warns
 * and ends while no engine runs, and whose supervisor is then killed too,
 * is recorded by the next engine from the supervisor's result file, texts
 * included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { alive, until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { apiGet, pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

test("after kill -9 of the engine and its supervisor, a task that warned meanwhile keeps its texts (from the result file)", async (t) => {
  const data = tempDir(t);
  const started = join(data, "started");
  const gate = join(data, "gate");
  const engine = await startEngine(t, data);
  const body = `touch "${started}"; while [ ! -e "${gate}" ]; do sleep 0.05; done; echo "::warning::while nobody watched"; echo "::error::and this too" >&2`;
  const file = pipelineFile(data, `namespace: m\npipelines:\n  alone:\n    tasks:\n      job: { run: '${body}' }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const run = await spire(["run", "alone", "--detach"], { data });
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  await until(() => existsSync(started), "the task to start");
  const supervisorPid = Number(readFileSync(join(data, "supervisor.sock.pid"), "utf8").split(" ")[0]);
  engine.child.kill("SIGKILL");
  await engine.exit;

  writeFileSync(gate, "");
  const records = join(data, "runs", id, "tasks", "job.1.records");
  await until(() => existsSync(records) && readFileSync(records, "utf8").includes('{"result":'), "the supervisor to write the result");
  process.kill(supervisorPid, "SIGKILL");
  await until(() => !alive(supervisorPid), "the supervisor to die");

  const restarted = await startEngine(t, data);
  await until(async () => (await apiGet<{ state: string }>(restarted, `/runs/${id}`)).state === "succeeded", "the run to be recorded");
  const shown = await apiGet<{ tasks: { path: string; warnings: number; errors: number; messages: { level: string; text: string; stream: string }[] }[] }>(restarted, `/runs/${id}`);
  const job = shown.tasks.find((task) => task.path === "job")!;
  assert.deepEqual([job.warnings, job.errors], [1, 1]);
  // Two streams: read in either order.
  assert.deepEqual(job.messages.map((message) => [message.level, message.text, message.stream]).sort(), [
    ["error", "and this too", "stderr"],
    ["warning", "while nobody watched", "stdout"],
  ]);
  await stopEngine(restarted);
});
