/**
 * GET /runs/{id} answers from a cache of run objects: the answer must still
 * follow every change of the run (task states, the end, a retry) and be the
 * run object's JSON byte for byte.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EventBus } from "../../src/engine/event-bus.js";
import { RunObjectCache } from "../../src/engine/reads/run-cache.js";
import type { RunObject } from "../../src/engine/reads/run-object.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

async function getRun(api: Api, id: string): Promise<{ text: string; run: RunObject }> {
  const response = await api.call("GET", `/runs/${id}`, { as: "read" });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json; charset=utf-8$/);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff", "the security headers are still set");
  const text = await response.text();
  return { text, run: JSON.parse(text) as RunObject };
}

/** GET /runs/{id} until `accept` takes the run (what is polled is the answer itself, so no event fits). */
async function pollRun(api: Api, id: string, accept: (run: RunObject) => boolean, what: string): Promise<RunObject> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { run } = await getRun(api, id);
    if (accept(run)) return run;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: the run is ${run.state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const runTo = (api: Api, id: string, state: string) => pollRun(api, id, (run) => run.state === state, `run ${id} to be ${state}`);

async function start(api: Api, pipeline: string): Promise<string> {
  const response = await api.call("POST", `/pipelines/test/${pipeline}/runs`, { as: "run", body: {} });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

/** An API with the definitions `yaml(gate)` applied: `gate` is a file its tasks may wait for. */
async function gatedApi(t: TestContext, yaml: (gate: string) => string): Promise<{ api: Api; gate: string }> {
  const api = await startApi(t);
  const gate = join(api.dir, "gate");
  await api.apply(yaml(gate));
  return { api, gate };
}

test("GET /runs/{id} follows a running run to its end, and answers the run object's JSON byte for byte", async (t) => {
  const { api, gate } = await gatedApi(
    t,
    (gate) => `
pipelines:
  gated:
    tasks:
      wait: { exec: [sh, -c, 'while [ ! -f "$1" ]; do sleep 0.02; done', sh, "${gate}"] }
      after: { needs: [wait], run: "echo after" }
`,
  );
  const id = await start(api, "gated");
  const running = await pollRun(api, id, (run) => run.tasks.find((task) => task.path === "wait")?.state === "running", "the first task to run");
  assert.equal(running.state, "running");
  assert.equal(running.tasks.find((task) => task.path === "after")?.state, "pending");
  const again = await getRun(api, id);
  assert.equal(again.run.state, "running", "asked twice while nothing changed: the same answer");

  writeFileSync(gate, "");
  const done = await runTo(api, id, "succeeded");
  assert.deepEqual(done.tasks.map((task) => [task.path, task.state]), [["wait", "succeeded"], ["after", "succeeded"]]);
  assert.ok(done.finished_at !== null);
  const { text } = await getRun(api, id);
  assert.equal(text, JSON.stringify(await api.engine.getRun(id)), "the same bytes as the run object serialised");
});

test("a retry is a run of its own: the failed run's cached answer stays, the new one follows its run", async (t) => {
  const api = await startApi(t);
  const flag = join(api.dir, "flag");
  await api.apply(`
pipelines:
  flaky:
    tasks:
      check: { exec: [test, -f, "${flag}"] }
`);
  const id = await start(api, "flaky");
  const failed = await runTo(api, id, "failed");
  assert.equal(failed.tasks[0]?.exit_code, 1);

  writeFileSync(flag, "");
  const retried = await api.call("POST", `/runs/${id}/retry`, { as: "run", body: {} });
  assert.equal(retried.status, 200);
  const retry = (await retried.json()) as RunObject;
  assert.notEqual(retry.id, id);
  const passed = await runTo(api, retry.id, "succeeded");
  assert.equal(passed.tasks[0]?.exit_code, 0);
  assert.equal((await getRun(api, id)).run.state, "failed");
});

test("POST …/runs answers the run as stored, byte for byte, also when it is made from memory (nothing more of it stored yet)", async (t) => {
  const { api, gate } = await gatedApi(
    t,
    (gate) => `
pipelines:
  queued:
    concurrency: 1
    queue: { limit: 5 }
    args:
      who: { type: string, default: nobody }
      count: { type: integer }
      pass: { secret: true }
    tasks:
      first: { exec: [sh, -c, 'while [ ! -f "$1" ]; do sleep 0.02; done', sh, "${gate}"] }
      checks:
        group:
          lint: { needs: [first], run: "true" }
          test: { needs: [first], run: "true" }
`,
  );
  const body = { args: { count: 3, pass: "hunter2-secret" }, partition: "eu", seed: 42 };
  const busy = await api.call("POST", "/pipelines/test/queued/runs", { as: "run", body });
  assert.equal(busy.status, 201);
  const busyId = ((await busy.json()) as RunObject).id;
  await pollRun(api, busyId, (run) => run.state === "running", "the first run to hold the pipeline");
  // Concurrency 1: this one waits, and nothing of it is written after its creation.
  const posted = await api.call("POST", "/pipelines/test/queued/runs", { as: "run", body });
  assert.equal(posted.status, 201);
  const answer = await posted.text();
  const waiting = JSON.parse(answer) as RunObject;
  assert.equal(waiting.state, "queued");
  assert.deepEqual(waiting.args, { who: "nobody", count: 3, pass: "***" }, "secret arguments are masked as stored");
  assert.deepEqual(
    waiting.groups.map((group) => [group.path, group.state]),
    [["checks", "pending"]],
  );
  assert.equal(answer, (await getRun(api, waiting.id)).text, "the answer is what a read of the store gives");
  writeFileSync(gate, "");
  await runTo(api, busyId, "succeeded");
  await runTo(api, waiting.id, "succeeded");
});

// The cache on its own, with the engine's real event bus.

const event = (runId: string, type = "task.started") => ({ kind: "event" as const, event: { seq: 1, run_id: runId, ts: 0, type, task_path: null, attempt: null, data: {} } });
const object = (id: string, state: RunObject["state"]) => ({ id, state }) as RunObject;

test("a stored event for a run drops its cached object; other runs' events and log lines do not", async () => {
  const bus = new EventBus();
  const cache = new RunObjectCache(bus);
  let builds = 0;
  const build = (state: RunObject["state"]) => async () => (builds++, object("a", state));
  assert.equal((await cache.get("a", build("running"))).state, "running");
  assert.equal((await cache.get("a", build("failed"))).state, "running", "cached");
  bus.publish("b", event("b"));
  bus.publish("a", { kind: "progress", run_id: "a", task: "t", done: 1, total: 2 });
  assert.equal((await cache.get("a", build("failed"))).state, "running", "still cached");
  bus.publish("a", event("a", "run.finished"));
  assert.equal((await cache.get("a", build("succeeded"))).state, "succeeded", "built again after the event");
  assert.equal(builds, 2);
});

test("an object built while its run changed is answered but not kept", async () => {
  const bus = new EventBus();
  const cache = new RunObjectCache(bus);
  const stale = await cache.get("a", async () => {
    // The rows were read, then a write for the run lands before the object is kept.
    const read = object("a", "running");
    await Promise.resolve();
    bus.publish("a", event("a", "run.finished"));
    return read;
  });
  assert.equal(stale.state, "running");
  const fresh = await cache.get("a", async () => object("a", "succeeded"));
  assert.equal(fresh.state, "succeeded", "the stale object was not cached");
});

test("a watch counts how many times its run changed meanwhile: each event of it, or its object forgotten", () => {
  const bus = new EventBus();
  const cache = new RunObjectCache(bus);
  const quiet = cache.watch("a");
  bus.publish("b", event("b"));
  bus.publish("a", { kind: "progress", run_id: "a", task: "t", done: 1, total: 2 });
  assert.equal(quiet(), 0, "another run's event and a progress line are no change of this run");
  const changed = cache.watch("a");
  bus.publish("a", event("a"));
  bus.publish("a", event("a", "run.started"));
  assert.equal(changed(), 2);
  const gone = cache.watch("a");
  cache.forget("a");
  assert.equal(gone(), 1, "went to another engine or was removed");
});

test("cached objects are frozen: a caller cannot change another's answer", async () => {
  const cache = new RunObjectCache(new EventBus());
  const run = await cache.get("a", async () => ({ ...object("a", "running"), tasks: [{ name: "t", outputs: {} }] }) as unknown as RunObject);
  assert.throws(() => {
    (run as { state: string }).state = "succeeded";
  }, TypeError);
  assert.throws(() => {
    (run.tasks[0]!.outputs as Record<string, string>).x = "y";
  }, TypeError);
});
