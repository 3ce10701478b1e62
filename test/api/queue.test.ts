/**
 * Concurrency, queue and debounce policies (SPEC §2) through the real API:
 * what waits, what is refused (409, recorded as a skipped run with the
 * reason), what is replaced or preempted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

const slowPipeline = (policy: string) => `
pipelines:
  busy:
${policy}
    tasks:
      work: { run: sleep 30, kill_grace: 200ms }
`;

interface Run {
  id: string;
  state: string;
  reason: string | null;
  started_at: string | null;
}

async function start(api: Api, body: object = {}): Promise<Response> {
  return api.call("POST", "/pipelines/test/busy/runs", { as: "run", body });
}

async function started(api: Api, body: object = {}): Promise<Run> {
  return (await (await start(api, body)).json()) as Run;
}

async function runOf(api: Api, id: string): Promise<Run> {
  return (await (await api.call("GET", `/runs/${id}`, { as: "read" })).json()) as Run;
}

async function until(api: Api, id: string, state: string): Promise<Run> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const run = await runOf(api, id);
    if (run.state === state) return run;
    if (Date.now() > deadline) assert.fail(`run ${id} stayed ${run.state}, expected ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function cancelAll(api: Api, ids: string[]): Promise<void> {
  for (const id of ids) await api.call("POST", `/runs/${id}/cancel`, { as: "run" });
  for (const id of ids) {
    const deadline = Date.now() + 10_000;
    while (["queued", "running"].includes((await runOf(api, id)).state) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("append: a busy pipeline queues up to the limit, then refuses with 409 and records the refusal", async (t) => {
  const api = await startApi(t);
  await api.apply(slowPipeline("    concurrency: 1\n    queue: { limit: 1, strategy: append }"));
  const first = await started(api);
  await until(api, first.id, "running");
  const second = await start(api);
  assert.equal(second.status, 201);
  const waiting = (await second.json()) as Run;
  assert.equal(waiting.state, "queued");
  const third = await start(api);
  assert.equal(third.status, 409);
  const error = ((await third.json()) as { error: { code: string; message: string; details: { run: Run } } }).error;
  assert.equal(error.code, "queue_full");
  assert.match(error.message, /the queue is full: 1 of 1 places taken \(strategy append\)/);
  const refused = await runOf(api, error.details.run.id);
  assert.equal(refused.state, "skipped");
  assert.match(refused.reason ?? "", /the queue is full/);
  await cancelAll(api, [first.id, waiting.id]);
});

test("replace: the newest run takes the last waiting place", async (t) => {
  const api = await startApi(t);
  await api.apply(slowPipeline("    queue: { limit: 1, strategy: replace }"));
  const first = await started(api);
  await until(api, first.id, "running");
  const second = await started(api);
  const third = await started(api);
  const replaced = (await runOf(api, second.id)) as Run & { tasks: { state: string; reason: string | null }[] };
  assert.equal(replaced.state, "skipped");
  assert.equal(replaced.reason, `replaced by the newer run ${third.id}`);
  // Its tasks never started: shown as its end left them, not as pending.
  assert.deepEqual(replaced.tasks.map((task) => [task.state, task.reason]), [["skipped", "not started: the run ended skipped"]]);
  assert.equal((await runOf(api, third.id)).state, "queued");
  await cancelAll(api, [first.id, third.id]);
  const canceled = (await runOf(api, third.id)) as Run & { tasks: { state: string; reason: string | null }[] };
  assert.deepEqual(canceled.tasks.map((task) => [task.state, task.reason]), [["canceled", "not started: the run ended canceled"]], "canceled while queued");
});

test("removing a pipeline cancels its runs waiting to start; the one running ends as it will", async (t) => {
  const api = await startApi(t);
  await api.apply(slowPipeline("    queue: { limit: 1, strategy: append }"));
  const first = await started(api);
  await until(api, first.id, "running");
  const second = await started(api);
  assert.equal((await runOf(api, second.id)).state, "queued");
  assert.equal((await api.call("DELETE", "/pipelines/test/busy")).status, 204);
  const waited = await runOf(api, second.id);
  assert.equal(waited.state, "canceled");
  assert.equal(waited.reason, "canceled: its pipeline was removed");
  assert.equal((await runOf(api, first.id)).state, "running");
  await cancelAll(api, [first.id]);
});

test("preempt: a new run cancels the running one and takes its place", async (t) => {
  const api = await startApi(t);
  await api.apply(slowPipeline("    queue: { limit: 0, strategy: preempt }"));
  const first = await started(api);
  await until(api, first.id, "running");
  const second = await started(api);
  const preempted = await until(api, first.id, "canceled");
  assert.equal(preempted.reason, `preempted by the newer run ${second.id}`);
  await until(api, second.id, "running");
  await cancelAll(api, [second.id]);
});

test("limit 0 with append refuses whenever the pipeline is busy", async (t) => {
  const api = await startApi(t);
  await api.apply(slowPipeline("    queue: { limit: 0 }"));
  const first = await started(api);
  await until(api, first.id, "running");
  const refused = await start(api);
  assert.equal(refused.status, 409);
  await cancelAll(api, [first.id]);
});

test("partition_limit keeps one waiting place per partition", async (t) => {
  const api = await startApi(t);
  await api.apply(slowPipeline("    queue: { limit: 10, strategy: replace, partition_limit: 1 }"));
  const first = await started(api, { partition: "eu" });
  await until(api, first.id, "running");
  const eu1 = await started(api, { partition: "eu" });
  const us1 = await started(api, { partition: "us" });
  const eu2 = await started(api, { partition: "eu" });
  assert.equal((await runOf(api, eu1.id)).state, "skipped", "eu's one place went to the newer eu run");
  assert.equal((await runOf(api, us1.id)).state, "queued", "us keeps its own place");
  assert.equal((await runOf(api, eu2.id)).state, "queued");
  await cancelAll(api, [first.id, us1.id, eu2.id]);
});

test("debounce: triggers within the window coalesce into the newest, which starts after the window", async (t) => {
  const api = await startApi(t);
  await api.apply(`
pipelines:
  busy:
    debounce: 300ms
    tasks:
      work: { run: "true" }
`);
  const sent = Date.now();
  const first = await started(api);
  const second = await started(api);
  const coalesced = await runOf(api, first.id);
  assert.equal(coalesced.state, "skipped");
  assert.equal(coalesced.reason, `replaced by the newer run ${second.id}`);
  const done = await until(api, second.id, "succeeded");
  assert.ok(Date.parse(done.started_at ?? "") - sent >= 300, "the run waited for the debounce window");
});

test("named locks are shared across pipelines: a run waits while its lock is held, up to the declared capacity", async (t) => {
  const api = await startApi(t);
  await api.apply(`
locks: { db: 1, license: 2 }
pipelines:
  busy:
    locks: [db]
    tasks:
      work: { run: sleep 30, kill_grace: 200ms }
  other:
    locks: [db]
    tasks:
      work: { run: "true" }
  tool:
    concurrency: 5
    locks: [license]
    tasks:
      work: { run: sleep 30, kill_grace: 200ms }
`);
  const holder = await started(api);
  await until(api, holder.id, "running");
  const waiter = (await (await api.call("POST", "/pipelines/test/other/runs", { as: "run", body: {} })).json()) as Run;
  assert.equal(waiter.state, "queued", "db is held by the busy run");
  await cancelAll(api, [holder.id]);
  await until(api, waiter.id, "succeeded");

  const tools: Run[] = [];
  for (let i = 0; i < 3; i++) tools.push((await (await api.call("POST", "/pipelines/test/tool/runs", { as: "run", body: {} })).json()) as Run);
  await until(api, tools[0]!.id, "running");
  await until(api, tools[1]!.id, "running");
  assert.equal((await runOf(api, tools[2]!.id)).state, "queued", "a license with capacity 2 never has three holders");
  await cancelAll(api, [tools[0]!.id]);
  await until(api, tools[2]!.id, "running");
  await cancelAll(api, [tools[1]!.id, tools[2]!.id]);
});
