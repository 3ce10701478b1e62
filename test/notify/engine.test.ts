/** Notifications from a real `spire engine`: sent after a run, and a delivery still under way at SIGTERM is ended with the engine. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { alive, until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { listen } from "./helpers.js";

checkNoLeftoverProcesses();

test("spire engine sends a run's notifications, and at SIGTERM ends a notify command still running", async (t) => {
  const hook = await listen(t);
  const dir = tempDir(t);
  const file = pipelineFile(
    dir,
    `
namespace: home
pipelines:
  backup:
    notify:
      - { on: [success], webhook: "${hook.url}" }
      - { on: [success], run: 'echo $$ > notify.pid; sleep 60' }
    tasks:
      dump: { run: "true" }
`,
  );
  const engine = await startEngine(t, join(dir, "data"), ["-f", file, "--grace", "1s"]);
  const ran = await spire(["run", "backup"], { data: engine.data });
  assert.equal(ran.code, 0, ran.stderr);
  await until(() => hook.received.length === 1, "the webhook");
  assert.equal(hook.received[0]!.body.event, "success");
  assert.equal(hook.received[0]!.body.run?.pipeline, "backup");

  // The command runs in the definitions file's folder.
  const pidFile = join(dir, "notify.pid");
  await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"), "the notify command to start");
  const pid = Number(readFileSync(pidFile, "utf8"));
  const stopping = Date.now();
  await stopEngine(engine);
  const result = await engine.exit;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(Date.now() - stopping < 12_000, "the engine's stop waited a bounded time for notifications");
  assert.equal(alive(pid), false, "the notify command ended with the engine");
  assert.match(result.stderr, /notifications still under way at shutdown: abandoned/);
});
