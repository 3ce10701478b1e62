/**
 * `--parallelism`, `--cpus` and `--memory` of `spire run` are for a run in
 * the command's own process. With an engine running, the engine runs the
 * run with its own limits: the command says so instead of dropping them
 * without a word.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("spire run with --parallelism and --cpus while an engine runs says those are for a run in this process; without them it says nothing of it", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const limited = await spire(["run", "--parallelism", "1", "--cpus", "1", "--", "true"], { data, cwd: data });
  assert.equal(limited.code, 0, limited.stderr);
  assert.match(limited.stderr, new RegExp(`--parallelism, --cpus are for a run in this process: the engine at ${engine.url.replace(/[.]/g, "\\.")} runs this one, with its own limits \\(set when it starts: spire engine --parallelism N\\)`));
  const plain = await spire(["run", "--", "true"], { data, cwd: data });
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stderr, /for a run in this process/);
  await stopEngine(engine);
});
