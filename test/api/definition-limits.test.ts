/**
 * POST /apply with definitions that ask for a lot (issue 12): each is a 422
 * with the place, answered within a second or two, while the engine's heap
 * stays small and the engine goes on answering. The cap on tasks is the
 * engine's option (spire engine --max-tasks), never the file's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { BOMBS, type Bomb } from "../definitions/bombs.js";
import { errorOf, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

async function applyRefused(api: Api, bomb: Bomb): Promise<number> {
  const started = performance.now();
  const response = await api.call("POST", "/apply?ns=bombs", { body: bomb.text, contentType: "text/yaml" });
  const elapsed = performance.now() - started;
  assert.equal(response.status, 422);
  const error = await errorOf(response);
  assert.equal(error.code, "invalid_definitions");
  const first = (error.details as { line: number; column: number; keyPath: string; message: string }[])[0]!;
  assert.deepEqual([first.line, first.column, first.keyPath], [bomb.line, bomb.column, bomb.keyPath], first.message);
  assert.match(first.message, bomb.message);
  return elapsed;
}

test("every bomb is a located 422 within two seconds; the heap stays small and the engine answers", async (t) => {
  const api = await startApi(t);
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = heapBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  t.after(() => clearInterval(sampler));
  for (const [name, bomb] of Object.entries(BOMBS)) {
    const elapsed = await applyRefused(api, bomb);
    assert.ok(elapsed < 2_000, `${name} answered in ${Math.round(elapsed)} ms`);
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  assert.ok(peak - heapBefore < 200 * 1024 * 1024, `the heap grew by ${Math.round((peak - heapBefore) / 1024 / 1024)} MB`);
  assert.equal((await api.call("GET", "/health", { as: null })).status, 200);
  assert.equal((await api.call("GET", "/pipelines?namespace=bombs")).status, 200);
  assert.equal((await api.store.listPipelines("bombs")).length, 0, "nothing was applied");
});

test("the engine's --max-tasks decides: a pipeline of 15,301 tasks is refused by default and applied under a cap of 20,000", async (t) => {
  const wide = 'pipelines:\n  wide:\n    tasks:\n      a:\n        repeat: 150\n        group: { b: { repeat: 100, exec: ["true"] } }\n';
  const byDefault = await startApi(t);
  const response = await byDefault.call("POST", "/apply?ns=wide", { body: wide, contentType: "text/yaml" });
  assert.equal(response.status, 422);
  assert.match(JSON.stringify((await errorOf(response)).details), /expands to 15,301 tasks .* limit of 10,000 per run/);
  const raised = await startApi(t, { maxTasks: 20_000 });
  await raised.apply(wide, "wide");
  assert.deepEqual((await raised.store.listPipelines("wide")).map((row) => row.name), ["wide"]);
});

test("a run argument against a pattern that backtracks (^(a+)+$) is refused within the budget, and the engine goes on answering", async (t) => {
  const api = await startApi(t);
  await api.apply('pipelines:\n  greedy:\n    args:\n      name: { pattern: "^(a+)+$", required: true }\n    tasks:\n      t: { exec: ["true"] }\n', "redos");
  const started = performance.now();
  // 26 characters: about 5 s of backtracking for V8 when nothing bounds it; any longer, minutes.
  const response = await api.call("POST", "/pipelines/redos/greedy/runs", { as: "run", body: { args: { name: `${"a".repeat(26)}!` } } });
  const elapsed = performance.now() - started;
  assert.equal(response.status, 422);
  assert.match(JSON.stringify(await errorOf(response)), /checking it against \/\^\(a\+\)\+\$\/ took more than 100 ms, so it is refused/);
  assert.ok(elapsed < 1_500, `answered in ${Math.round(elapsed)} ms`);
  const fine = await api.call("POST", "/pipelines/redos/greedy/runs", { as: "run", body: { args: { name: "aaa" } } });
  assert.equal(fine.status, 201);
  const wrong = await api.call("POST", "/pipelines/redos/greedy/runs", { as: "run", body: { args: { name: "ab" } } });
  assert.equal(wrong.status, 422);
  assert.match(JSON.stringify(await errorOf(wrong)), /must match/);
});
