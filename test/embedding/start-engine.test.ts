/**
 * startEngine(): the engine inside an application. Started in this process
 * with definitions given as an object, it runs them and tells its events;
 * stopped, its supervisor is gone. In a process of its own, an application
 * that starts one from a spire.config.ts and stops it ends by itself: no
 * server, socket, timer or child is left holding it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { checkNoLeftoverProcesses, leftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { startEngine, type LiveEvent } from "../../src/public/index.js";

checkNoLeftoverProcesses();

test("startEngine in this process: definitions as an object, a run with its events, stop() leaves no process", async (t) => {
  const dir = tempDir(t);
  const engine = await startEngine({ data: join(dir, "data"), definitions: { namespace: "app", pipelines: { hello: { tasks: { greet: { exec: ["echo", "embedded"] } } } } } });
  t.after(() => engine.stop({ graceMs: 0 }));
  assert.match(engine.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(leftoverProcesses().length > 0, "the supervisor of its tasks runs");
  const events: LiveEvent[] = [];
  const stopListening = engine.onEvent((event) => events.push(event));
  const run = await engine.client.startRun("app", "hello");
  assert.equal((await engine.client.waitForRun(run.id, { pollMs: 50 })).state, "succeeded");
  assert.deepEqual((await engine.client.logs(run.id, "greet")).map((line) => line.line), ["embedded"]);
  stopListening();
  assert.ok(events.some((event) => event.kind === "event" && event.event.run_id === run.id), JSON.stringify(events.slice(0, 3)));
  await engine.stop();
  assert.deepEqual(leftoverProcesses(), [], "stop() ends the supervisor");
});

test("startEngine refuses definitions with mistakes before anything starts, naming the key path", async (t) => {
  const dir = tempDir(t);
  await assert.rejects(
    startEngine({ data: join(dir, "data"), definitions: { pipelines: { hello: { tasks: { greet: { run: "true", timeout: "soon" } } } } } }),
    /definitions given to startEngine +pipelines\.hello\.tasks\.greet\.timeout: invalid value "soon"/,
  );
  await assert.rejects(startEngine({ data: join(dir, "data"), listen: "0.0.0.0:0" }), /refusing to listen on 0\.0\.0\.0:0/);
});

test("an application that starts an engine from a spire.config.ts and stops it ends by itself", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "spire.config.ts"), `import { defineConfig } from "spire";\nexport default defineConfig({ namespace: "app", pipelines: { hello: { tasks: { greet: { exec: ["echo", "from the app"] } } } } });\n`);
  const app = join(dir, "app.mjs");
  writeFileSync(
    app,
    `import { startEngine } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "dist/src/public/index.js")).href)};
const engine = await startEngine({ data: ${JSON.stringify(join(dir, "data"))}, definitions: ${JSON.stringify(join(dir, "spire.config.ts"))} });
const run = await engine.client.startRun("app", "hello");
const done = await engine.client.waitForRun(run.id, { pollMs: 50 });
const lines = await engine.client.logs(run.id, "greet");
await engine.stop();
console.log(JSON.stringify({ state: done.state, lines: lines.map((line) => line.line) }));
`,
  );
  const child = spawn(process.execPath, [app], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // It must end on its own once stopped: a handle left open keeps it alive until this kills it.
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal])));
  clearTimeout(killer);
  assert.equal(signal, null, `the application did not end by itself after stop(): ${stdout}${stderr}`);
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { state: "succeeded", lines: ["from the app"] });
});
