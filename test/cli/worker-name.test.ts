/** A worker that the engine refuses by its registration (here: the engine's own machine's name) stops at once with the engine's words, exit 2: asking again would not change the answer. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("a worker named as the engine's machine stops with the engine's reason instead of retrying for ever", async (t) => {
  const dir = tempDir(t);
  const engine = await startEngine(t, join(dir, "engine"));
  const token = readFileSync(join(dir, "engine", "token"), "utf8").trim();
  const worker = await spire(["worker", "--engine", engine.url, "--token", token, "--labels", "gpu", "--data", join(dir, "worker")], { data: join(dir, "cli") });
  assert.equal(worker.code, 2, worker.stderr);
  assert.match(worker.stderr, new RegExp(`the engine refused this worker: the engine answered 409: worker ${hostname().replaceAll(".", "\\.")}: that is the name of the engine's own machine.*spire worker --name NAME`));
  await stopEngine(engine);
});
