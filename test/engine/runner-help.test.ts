/**
 * Runners that need an outside tool (uv, docker, a Python interpreter) say
 * what is missing and what to do, through the real `spire run -f`.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";

checkNoLeftoverProcesses();

interface TaskResult {
  state: string;
  reason: string | null;
}

/** Runs a one-task pipeline with PATH as given; returns the task's state and reason. */
async function runTask(t: TestContext, task: string, path: string): Promise<TaskResult> {
  const data = tempDir(t);
  const file = join(data, "spire.yaml");
  writeFileSync(file, `pipelines:\n  p:\n    tasks:\n      t: ${task}\n`);
  const result = await spire(["run", "-f", file, "--json"], { data, env: { PATH: path } });
  assert.equal(result.code, 1, result.stderr + result.stdout);
  return (JSON.parse(result.stdout) as { tasks: TaskResult[] }).tasks[0]!;
}

test("uv, docker or a Python interpreter missing from PATH: the task fails saying what to install", async (t) => {
  const empty = tempDir(t); // a PATH with nothing on it, whatever this machine has installed
  // uv: takes a Python file, which must exist for the file to be valid.
  const scripts = tempDir(t);
  writeFileSync(join(scripts, "job.py"), "print(1)\n");
  const uv = await runTask(t, `{ uv: '${join(scripts, "job.py")}' }`, empty);
  assert.equal(uv.state, "failed");
  assert.match(uv.reason!, /^uv is not installed here \(not found in PATH\): install it \(https:\/\/docs\.astral\.sh\/uv/);
  const docker = await runTask(t, "{ docker: { image: alpine, command: 'echo hi' } }", empty);
  assert.match(docker.reason!, /^docker is not installed here \(not found in PATH\): install Docker/);
  const python = await runTask(t, "{ python: 'print(1)', interpreter: python3.99 }", empty);
  assert.match(python.reason!, /^python3\.99 is not installed here \(not found in PATH\): install Python 3, or name another interpreter/);
});

test("docker present but its engine not answering: the reason says to start it", async (t) => {
  const cli = spawnSync("docker", ["version", "--format", "{{.Client.Version}}"], { encoding: "utf8" });
  if (cli.error) return t.skip("docker is not installed here: the missing-tool test above covers this machine");
  const daemon = spawnSync("docker", ["info"], { encoding: "utf8" });
  if (daemon.status === 0) return t.skip("the Docker engine answers here, so it cannot be seen not answering; see the runner tests for the real path");
  const docker = await runTask(t, "{ docker: { image: alpine, command: 'echo hi' } }", process.env.PATH ?? "");
  assert.equal(docker.state, "failed");
  assert.match(docker.reason!, /^the Docker engine is not running or not reachable \(.*\): start it/);
});
