/**
 * `spire engine` started while a `spire run` (no engine: the run in its own
 * process) is still running its run over the same data folder: the engine
 * leaves that run to its process, which records it once; and should that
 * process be killed, the engine takes the run up and ends it.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { finished, spire, startSpire } from "../helpers/cli.js";
import { apiGet, pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

/** a waits for the gate file, then b runs; each says it started. */
function file(data: string): string {
  const gate = join(data, "gate");
  return pipelineFile(
    data,
    `pipelines:
  slow:
    tasks:
      a: { run: 'touch "${join(data, "a.started")}"; while [ ! -e "${gate}" ]; do sleep 0.05; done' }
      b: { needs: [a], run: 'touch "${join(data, "b.ran")}"' }
`,
  );
}

async function eventsOf(data: string): Promise<{ run: string; types: string[] }> {
  const store = openSqliteStore(join(data, "spire.db"));
  try {
    const [run] = await store.listRuns({ limit: 10 });
    assert.ok(run, "one run");
    return { run: run.id, types: (await store.listEvents(run.id, 0, 1000)).map((event) => event.type) };
  } finally {
    await store.close();
  }
}

/** `spire run` of the file, then, once its first task runs, `spire engine` over the same data folder. */
async function engineBesideRun(t: TestContext) {
  const data = tempDir(t);
  const running = startSpire(["run", "-f", file(data), "slow"], { data });
  const ran = finished(running);
  await until(() => existsSync(join(data, "a.started")), "a to start in the spire run process");
  return { data, running, ran, engine: await startEngine(t, data) };
}

test("an engine started beside a spire run leaves its run to it: ended once, as it ended", async (t) => {
  const { data, running, ran, engine } = await engineBesideRun(t);
  // The engine cannot cancel it, and says who can.
  const { run: id } = await eventsOf(data);
  const cancel = await spire(["cancel", id], { data });
  assert.notEqual(cancel.code, 0);
  assert.match(cancel.stderr, new RegExp(`runs in a spire run process \\(pid ${running.pid}\\), not in this engine`));
  writeFileSync(join(data, "gate"), "");
  const result = await ran;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(existsSync(join(data, "b.ran")));
  const { run, types } = await eventsOf(data);
  assert.deepEqual(types.filter((type) => type === "run.finished" || type === "task.interrupted" || type === "run.resumed"), ["run.finished"], types.join(" "));
  assert.equal((await apiGet<{ state: string }>(engine, `/runs/${run}`)).state, "succeeded");
  assert.match(engine.said?.() ?? "", /left to it/);
  await stopEngine(engine);
});

test("a spire run killed after an engine started beside it: the engine takes its run up and ends it", async (t) => {
  const { data, running, ran, engine } = await engineBesideRun(t);
  const { run } = await eventsOf(data);
  running.kill("SIGKILL");
  await ran;
  let state = "";
  await until(async () => (state = (await apiGet<{ state: string }>(engine, `/runs/${run}`)).state) !== "running", "the engine to end the run", 15_000);
  assert.equal(state, "interrupted");
  const { types } = await eventsOf(data);
  assert.deepEqual(types.filter((type) => type === "run.finished"), ["run.finished"], "ended once");
  assert.equal(existsSync(join(data, "b.ran")), false);
  await stopEngine(engine);
});
