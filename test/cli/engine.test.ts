/**
 * The engine as a user meets it: `spire engine` in the foreground, driven by
 * the real CLI — apply, run, cancel, retry, tokens, audit — and stopped with
 * SIGTERM (drain) or SIGKILL (the next start finds its tasks; see crash.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { example, finished, spire, startSpire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";

checkNoLeftoverProcesses();

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
  assert.match(starting.stderr, /\nMake a token with that scope: spire token create --scope run\.\n/, "the hint names the scope the command needs");

  const list = JSON.parse((await spire(["token", "list", "--json"], { data })).stdout);
  const viewer = list.find((entry: { name: string }) => entry.name === "viewer");
  assert.equal((await spire(["token", "revoke", viewer.id], { data })).code, 0);
  const after = await spire(["ls"], { data, env: { SPIRE_TOKEN: token } });
  assert.equal(after.code, 3);
  assert.match(after.stderr, /refused the token/);
  await stopEngine(engine);
});

test("through a tunnel on another local port, the CLI says the name is not allowed and how to allow it, not that the token is too small", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const enginePort = Number(new URL(engine.url).port);
  // What ssh -L 8431:127.0.0.1:7431 does: another local port leading to the engine, bytes passed as they are.
  const tunnel = createServer((client) => {
    const upstream = connect(enginePort, "127.0.0.1");
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => tunnel.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => tunnel.close(resolve)));
  const tunnelAddress = `127.0.0.1:${(tunnel.address() as AddressInfo).port}`;
  const result = await spire(["ls"], { data, env: { SPIRE_ENGINE: `http://${tunnelAddress}` } });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, new RegExp(`host "${tunnelAddress}" is not allowed: .*--allow-host ${tunnelAddress}`));
  assert.doesNotMatch(result.stderr, /scope/);
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

test("after kill -9 of the engine, the next start watches its task to the end", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const started = join(data, "started");
  const go = join(data, "go");
  const file = pipelineFile(data, `namespace: k\npipelines:\n  long:\n    tasks:\n      job: { run: 'touch "${started}"; while [ ! -e "${go}" ]; do sleep 0.05; done; echo after; exit 3' }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const id = (await spire(["run", "long", "--detach"], { data })).stdout.trim();
  while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 20));
  engine.child.kill("SIGKILL");
  await engine.exit;
  const restarted = await startEngine(t, data);
  assert.equal(JSON.parse((await spire(["show", id, "--json"], { data })).stdout).state, "running", "the task outlived its engine");
  writeFileSync(go, "");
  const shown = await waitForState(data, id, "failed");
  assert.equal(shown.state, "failed");
  assert.deepEqual(
    shown.tasks.map((task) => [task.state, task.exit_code]),
    [["failed", 3]],
    "its real exit code, seen by the new engine",
  );
  assert.equal((await spire(["logs", id, "job"], { data })).stdout, "after\n");
  await stopEngine(restarted);
});

test("a second engine on a busy address says so and exits 2", async (t) => {
  const data = tempDir(t);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const result = await spire(["engine", "--listen", `127.0.0.1:${port}`], { data });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use by another program\\nChoose another address with --listen HOST:PORT\\.`));
});

test("an engine whose address another engine holds says that engine is running; a port out of range is said so", async (t) => {
  const first = await startEngine(t, tempDir(t));
  const address = new URL(first.url).host;
  const second = await spire(["engine", "--listen", address], { data: tempDir(t) });
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, new RegExp(`${address.replaceAll(".", "\\.")} is already in use: a Spire engine listens there\\nThat engine is running already \\(spire ls talks to it\\)`));
  await stopEngine(first);
  const range = await spire(["engine", "--listen", "127.0.0.1:99999"], { data: tempDir(t) });
  assert.equal(range.code, 2);
  assert.match(range.stderr, /--listen "127\.0\.0\.1:99999": the port 99999 is out of range \(1 to 65535, or 0 for any free one\)/);
});

test("an engine that cannot listen applies nothing of its -f file and starts no run: it did not start", async (t) => {
  const data = tempDir(t);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const file = pipelineFile(data, `namespace: busy\npipelines:\n  tick:\n    triggers: [{ every: 50ms }]\n    tasks:\n      job: { run: "true" }\n`);
  const result = await spire(["engine", "-f", file, "--listen", `127.0.0.1:${port}`], { data });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /is already in use/);
  const listed = await spire(["ls", "--json"], { data });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), [], "the file was not applied");
  const runs = await spire(["runs", "--json"], { data });
  assert.deepEqual(JSON.parse(runs.stdout), [], "no trigger fired");
});

test("spire hook prints the webhook URL and token, and the token starts the pipeline", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const file = pipelineFile(data, `namespace: h\npipelines:\n  deploy:\n    triggers: [{ webhook: true }]\n    tasks:\n      go: { run: "true" }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const shown = await spire(["hook", "deploy", "--json"], { data });
  assert.equal(shown.code, 0, shown.stderr);
  const hook = JSON.parse(shown.stdout) as { url: string; token: string; enabled: boolean };
  assert.equal(hook.url, `${engine.url}/api/v1/hooks/h/deploy`);
  const fired = await fetch(hook.url, { method: "POST", headers: { authorization: `Bearer ${hook.token}` } });
  assert.equal(fired.status, 201);
  const run = (await fired.json()) as { id: string };
  assert.equal((await waitForState(data, run.id, "succeeded")).state, "succeeded");
  await stopEngine(engine);
});

test("spire run PIPELINE follows the run it started: progress shows live, and a re-apply mid-run does not change what it draws", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const started = join(data, "started");
  const go = join(data, "go");
  const body = (task: string) =>
    `namespace: f\npipelines:\n  work:\n    tasks:\n      ${task}: { run: 'echo "::progress::1/2"; touch "${started}"; while [ ! -e "${go}" ]; do sleep 0.02; done' }\n`;
  const file = pipelineFile(data, body("first"));
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const follower = startSpire(["run", "work"], { data });
  const followed = finished(follower);
  await until(() => existsSync(started), "the task started");
  // The pipeline changes while its run goes on: the run keeps its own definition.
  pipelineFile(data, body("second"));
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  writeFileSync(go, "");
  const result = await followed;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /first progress 1\/2/);
  assert.match(result.stdout, /first succeeded/);
  assert.doesNotMatch(result.stdout, /second/);
  await stopEngine(engine);
});

test("a local engine that is slow to answer (its process alive) is waited for, not taken for absent", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const file = pipelineFile(data, `namespace: w\npipelines:\n  quick:\n    tasks:\n      job: { run: 'true' }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  // Stopped, it answers nothing; it goes on 2 s later, longer than a health check waits for an engine that may not be there.
  engine.child.kill("SIGSTOP");
  t.after(() => void engine.child.kill("SIGCONT"));
  const started = finished(startSpire(["run", "quick", "--detach"], { data }));
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  engine.child.kill("SIGCONT");
  const result = await started;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\w{16}\n$/, "the run was started on the engine");
  await stopEngine(engine);
});
