/**
 * The engine as a user meets it: `spire engine` in the foreground, driven by
 * the real CLI — apply, run, cancel, retry, tokens, audit — and stopped with
 * SIGTERM (drain) or SIGKILL (the next start finishes the books).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import type { TestContext } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { example, finished, spire, startSpire, type SpireResult } from "../helpers/cli.js";

checkNoLeftoverProcesses();

interface RunningEngine {
  child: ChildProcess;
  data: string;
  url: string;
  exit: Promise<SpireResult>;
}

async function startEngine(t: TestContext, data: string, extra: string[] = []): Promise<RunningEngine> {
  const child = startSpire(["engine", "--listen", "127.0.0.1:0", ...extra], { data });
  const exit = finished(child);
  const addressFile = join(data, "engine.json");
  const deadline = Date.now() + 15_000;
  // The address file is the engine's way of saying it listens.
  while (!existsSync(addressFile) || JSON.parse(readFileSync(addressFile, "utf8")).pid !== child.pid) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const result = await Promise.race([exit, new Promise<SpireResult>((resolve) => setTimeout(() => resolve({ code: null, signal: null, stdout: "", stderr: "(still running)" }), 100))]);
      throw new Error(`the engine did not start: ${result.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const engine = { child, data, url: JSON.parse(readFileSync(addressFile, "utf8")).url as string, exit };
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exit;
    }
  });
  return engine;
}

/** Stops the engine (SIGTERM) and waits for it: call at the end of a test, before the leftover check. */
async function stopEngine(engine: RunningEngine): Promise<void> {
  if (engine.child.exitCode === null && engine.child.signalCode === null) engine.child.kill("SIGTERM");
  await engine.exit;
}

function pipelineFile(dir: string, body: string): string {
  const file = join(dir, "spire.yaml");
  writeFileSync(file, body);
  return file;
}

test("apply, run, show the change set and the history through the engine", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const applied = await spire(["apply", "-f", example("hello.yaml")], { data });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /\+ hello {2}created\n/);
  const again = await spire(["apply", "-f", example("hello.yaml"), "--json"], { data });
  assert.deepEqual(JSON.parse(again.stdout).unchanged, ["hello"]);

  const run = await spire(["run", "hello", "--arg", "name=Ada", "--json"], { data });
  assert.equal(run.code, 0, run.stderr);
  const object = JSON.parse(run.stdout);
  assert.equal(object.state, "succeeded");
  assert.equal(object.args.name, "Ada");

  const ls = await spire(["ls", "--json"], { data });
  const [pipeline] = JSON.parse(ls.stdout);
  assert.equal(pipeline.name, "hello");
  assert.equal(pipeline.last_run.id, object.id);

  const audit = await spire(["audit", "--json"], { data });
  assert.deepEqual(
    JSON.parse(audit.stdout).map((entry: { action: string }) => entry.action),
    ["run.start", "apply", "apply"],
  );
  await stopEngine(engine);
});

test("an invalid file applies nothing and says where the errors are", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const file = pipelineFile(data, "pipelines:\n  p:\n    tasks:\n      a: { run: echo, timeout: soon }\n");
  const result = await spire(["apply", "-f", file], { data });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /spire\.yaml:4:32 {2}pipelines\.p\.tasks\.a\.timeout: invalid value "soon"/);
  const ls = await spire(["ls", "--json"], { data });
  assert.deepEqual(JSON.parse(ls.stdout), []);
  await stopEngine(engine);
});

test("cancel stops a running run; retry re-runs only what failed", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const marker = join(data, "second-time");
  const file = pipelineFile(
    data,
    `namespace: t
pipelines:
  slow:
    tasks:
      wait: { run: sleep 30, kill_grace: 1s }
  flaky:
    tasks:
      first: { run: "echo one" }
      second:
        needs: [first]
        run: 'if [ -e "${marker}" ]; then echo fixed; else touch "${marker}"; exit 1; fi'
`,
  );
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const detached = await spire(["run", "t/slow", "--detach"], { data });
  const id = detached.stdout.trim();
  assert.match(id, /^[0-9a-z]{16}$/);
  const canceled = await spire(["cancel", id, "--json"], { data });
  assert.equal(canceled.code, 0, canceled.stderr);
  const shown = await waitForState(data, id, "canceled");
  assert.equal(shown.tasks[0]?.state, "canceled");

  const failed = await spire(["run", "flaky", "--json"], { data });
  assert.equal(failed.code, 1);
  const retried = await spire(["retry", JSON.parse(failed.stdout).id, "--json"], { data });
  assert.equal(retried.code, 0, retried.stderr);
  const run = JSON.parse(retried.stdout);
  assert.equal(run.trigger.kind, "retry");
  assert.equal(run.tasks.find((task: { path: string }) => task.path === "first").reason, `kept from run ${JSON.parse(failed.stdout).id}`);
  assert.equal(run.tasks.find((task: { path: string }) => task.path === "second").state, "succeeded");
  await stopEngine(engine);
});

async function waitForState(data: string, id: string, state: string): Promise<{ state: string; tasks: { state: string }[] }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const shown = JSON.parse((await spire(["show", id, "--json"], { data })).stdout);
    if (shown.state === state || Date.now() > deadline) return shown;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("tokens: a read token cannot start runs; a revoked token is refused at once", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["-f", example("hello.yaml")]);
  const created = await spire(["token", "create", "--scope", "read", "--name", "viewer"], { data });
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "prints only the token");

  const reading = await spire(["ls"], { data, env: { SPIRE_TOKEN: token } });
  assert.equal(reading.code, 0, reading.stderr);
  const starting = await spire(["run", "hello"], { data, env: { SPIRE_TOKEN: token } });
  assert.equal(starting.code, 3);
  assert.match(starting.stderr, /needs a token with the run scope/);

  const list = JSON.parse((await spire(["token", "list", "--json"], { data })).stdout);
  const viewer = list.find((entry: { name: string }) => entry.name === "viewer");
  assert.equal((await spire(["token", "revoke", viewer.id], { data })).code, 0);
  const after = await spire(["ls"], { data, env: { SPIRE_TOKEN: token } });
  assert.equal(after.code, 3);
  assert.match(after.stderr, /refused the token/);
  await stopEngine(engine);
});

test("the engine refuses to listen beyond loopback unless told", async (t) => {
  const data = tempDir(t);
  const result = await spire(["engine", "--listen", "0.0.0.0:7431"], { data });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /refusing to listen on 0\.0\.0\.0:7431.*\n.*--allow-remote/);
});

test("SIGTERM drains: a running run finishes, new runs are refused, the engine exits 0", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["--grace", "20s"]);
  const started = join(data, "started");
  const file = pipelineFile(data, `namespace: d\npipelines:\n  work:\n    tasks:\n      job: { run: 'touch "${started}"; sleep 0.6; echo done' }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const id = (await spire(["run", "work", "--detach"], { data })).stdout.trim();
  while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 20));
  engine.child.kill("SIGTERM");
  const exit = await engine.exit;
  assert.equal(exit.code, 0, exit.stderr);
  assert.match(exit.stderr, /draining/);
  const shown = JSON.parse((await spire(["show", id, "--json"], { data })).stdout);
  assert.equal(shown.state, "succeeded", "the run in progress was allowed to finish");
  assert.equal(existsSync(join(data, "engine.json")), false, "the address file is gone");
});

test("after kill -9 of the engine, the next start leaves no run running forever", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const started = join(data, "started");
  const file = pipelineFile(data, `namespace: k\npipelines:\n  long:\n    tasks:\n      job: { run: 'touch "${started}"; sleep 30' }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const id = (await spire(["run", "long", "--detach"], { data })).stdout.trim();
  while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 20));
  engine.child.kill("SIGKILL");
  await engine.exit;
  const restarted = await startEngine(t, data);
  const shown = JSON.parse((await spire(["show", id, "--json"], { data })).stdout);
  assert.equal(shown.state, "interrupted");
  assert.match(shown.reason, /the engine stopped while this run was in progress/);
  assert.equal(shown.tasks[0].state, "interrupted");
  await stopEngine(restarted);
  // checkNoLeftoverProcesses(): the supervisor ended the task when its engine died.
});
