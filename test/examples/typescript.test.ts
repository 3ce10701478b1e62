/**
 * examples/typescript.yaml: a TypeScript task on Node 20, compiled by the
 * typescript dev dependency into the first task's artifacts and run by the
 * second; a type error stops it at the first; and what the recipe says about
 * running .mts directly holds on this Node.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { REPO_ROOT, spire } from "../helpers/cli.js";
import { recipePath } from "../helpers/recipe.js";

checkNoLeftoverProcesses();

test("the TypeScript recipe compiles the task, then runs it: its metrics and output are the run's", async (t) => {
  const data = join(tempDir(t), "data");
  const result = await spire(["run", "-f", recipePath("typescript.yaml"), "--json"], { data });
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout).tasks.find((task: { path: string }) => task.path === "summary");
  assert.deepEqual(Object.keys(summary.metrics).sort(), ["disk_used_pct", "memory_used_pct"]);
  assert.match(summary.outputs.fullest, /^(disk|memory)$/);
  assert.match((await spire(["logs", "last", "summary"], { data })).stdout, /^disk: [\d.]+% used$/m);
});

test("a type error fails the compile task, and the JavaScript is not run", async (t) => {
  const dir = tempDir(t);
  cpSync(recipePath("typescript.yaml"), join(dir, "typescript.yaml"));
  cpSync(recipePath("typescript"), join(dir, "typescript"), { recursive: true });
  // The project the copy sits in has TypeScript installed, as the recipe asks.
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  const source = join(dir, "typescript", "summary.mts");
  writeFileSync(source, readFileSync(source, "utf8").replace("usedPercent: percent(totalmem() - freemem(), totalmem())", 'usedPercent: "full"'));
  const data = join(dir, "data");
  const result = await spire(["run", "-f", join(dir, "typescript.yaml"), "--json"], { data });
  assert.equal(result.code, 1);
  const tasks = JSON.parse(result.stdout).tasks as { path: string; state: string }[];
  assert.deepEqual(tasks.map((task) => [task.path, task.state]), [["compile", "failed"], ["summary", "skipped"]]);
  assert.match((await spire(["logs", "last", "compile"], { data })).stdout, /summary\.mts.*error TS2322: Type 'string' is not assignable to type 'number'/);
});

test("running the .mts directly, as the recipe says: refused with the reason on Node before 22.6, run from 22.6 on", async (t) => {
  const dir = tempDir(t);
  cpSync(recipePath("typescript"), join(dir, "typescript"), { recursive: true });
  writeFileSync(join(dir, "direct.yaml"), 'pipelines:\n  direct:\n    tasks:\n      summary: { script: typescript/summary.mts, args: ["/"] }\n');
  const result = await spire(["run", "-f", join(dir, "direct.yaml")], { data: join(dir, "data") });
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 6)) assert.equal(result.code, 0, result.stderr);
  else {
    assert.equal(result.code, 1);
    assert.match(result.stdout + result.stderr, /TypeScript scripts need Node 22\.6 or newer/);
  }
});
