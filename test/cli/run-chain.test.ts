/**
 * The real `spire run` inside a task, against an engine: it tells the engine
 * which run asks (the task's SPIRE_RUN_ID), so the new run is one more in
 * that run's chain (test/engine/run-chain.test.ts has the limit), and its
 * --seed reaches the engine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { SPIRE_BIN, spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

test("spire run inside a task: the new run names the run that asked for it (trigger.caused_by, depth 1), and its --seed is kept", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data);
  const file = join(dir, "spire.yaml");
  const inner = [process.execPath, SPIRE_BIN, "run", "--detach", "--data", data, "--seed", "7", "child"];
  writeFileSync(file, `pipelines:\n  parent:\n    tasks:\n      t: { exec: ${JSON.stringify(inner)} }\n  child:\n    tasks:\n      t: { exec: ["true"] }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const parent = await spire(["run", "parent", "--json"], { data });
  assert.equal(parent.code, 0, parent.stderr);
  const parentId = (JSON.parse(parent.stdout) as { id: string }).id;
  const runs = JSON.parse((await spire(["runs", "child", "--json"], { data })).stdout) as { id: string }[];
  assert.equal(runs.length, 1);
  const child = JSON.parse((await spire(["show", runs[0]!.id, "--json"], { data })).stdout) as { seed: number; trigger: { kind: string; caused_by?: string; depth?: number } };
  assert.deepEqual([child.trigger.kind, child.trigger.caused_by, child.trigger.depth], ["manual", parentId, 1]);
  assert.equal(child.seed, 7, "--seed reaches the engine");
  await stopEngine(engine);
});
