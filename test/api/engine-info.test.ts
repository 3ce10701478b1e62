/**
 * GET /engine: what the engine is and what is in use — task slots, cpus and
 * memory reserved, locks with their holders, runs under way and waiting per
 * pipeline — taken from a real engine while real tasks hold them; paths for
 * admin tokens only; and the supervisor of a real `spire engine`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { apiGet, startEngine, stopEngine } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";
import { finishedRun, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

interface EngineInfo {
  version: string;
  status: string;
  pid: number;
  data_dir?: string;
  store: { kind: string; location?: string };
  executor: string;
  supervisor: { pid: number | null; connected: boolean; lost_reason: string | null } | null;
  capacity: { task_slots: { used: number; total: number }; cpus: { reserved: number; total: number }; memory_bytes: { reserved: number; total: number } };
  runs: { running: number; waiting: number };
  locks: { name: string; capacity: number; declared: Record<string, number>; held: number; holders: { run_id: string; task: string | null; count: number }[] }[];
  queues: { namespace: string; pipeline: string; running: number; waiting: number }[];
}

const YAML = `
locks: { db: 2 }
pipelines:
  holder:
    locks: [db]
    tasks:
      heavy:
        run: 'while [ ! -e "$GO" ]; do sleep 0.02; done'
        env: { GO: "\${{ args.go }}" }
        resources: { cpus: 1, memory: 64MiB }
        locks: [tool]
    args:
      go: { required: true }
  single:
    concurrency: 1
    tasks:
      wait:
        run: 'while [ ! -e "$GO" ]; do sleep 0.02; done'
        env: { GO: "\${{ args.go }}" }
    args:
      go: { required: true }
`;

async function info(api: Api, as: "read" | "admin" = "read"): Promise<EngineInfo> {
  const response = await api.call("GET", "/engine", { as });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as EngineInfo;
}

async function start(api: Api, pipeline: string, go: string): Promise<string> {
  const response = await api.call("POST", `/pipelines/test/${pipeline}/runs`, { as: "run", body: { args: { go } } });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

async function until(api: Api, done: (engine: EngineInfo) => boolean): Promise<EngineInfo> {
  let engine = await info(api);
  for (const deadline = Date.now() + 10_000; !done(engine) && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    engine = await info(api);
  }
  return engine;
}

test("GET /engine shows slots, cpus, memory, locks with their holders and queues in use, and paths to admins only", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const go = join(api.dir, "go");
  const held = await start(api, "holder", go);
  const first = await start(api, "single", go);
  const second = await start(api, "single", go);

  const busy = await until(api, (engine) => engine.capacity.task_slots.used === 2);
  assert.deepEqual(busy.capacity.task_slots, { used: 2, total: 4 });
  assert.equal(busy.capacity.cpus.reserved, 1);
  assert.equal(busy.capacity.memory_bytes.reserved, 64 * 2 ** 20);
  assert.ok(busy.capacity.cpus.total >= 1 && busy.capacity.memory_bytes.total > 0);
  assert.deepEqual(busy.runs, { running: 2, waiting: 1 });
  assert.deepEqual(busy.queues, [
    { namespace: "test", pipeline: "single", running: 1, waiting: 1 },
    { namespace: "test", pipeline: "holder", running: 1, waiting: 0 },
  ]);
  assert.deepEqual(busy.locks, [
    { name: "db", capacity: 2, declared: { test: 2 }, held: 1, holders: [{ run_id: held, task: null, count: 1 }] },
    { name: "tool", capacity: 1, declared: {}, held: 1, holders: [{ run_id: held, task: "heavy", count: 1 }] },
  ]);
  assert.equal(busy.executor, "in-process");
  assert.equal(busy.supervisor, null);
  assert.equal(busy.status, "ok");
  assert.equal(busy.pid, process.pid);
  assert.deepEqual(busy.store, { kind: "sqlite" }, "a read token sees no path");
  assert.equal((busy as unknown as { scheduling: unknown }).scheduling, null, "alone on its store, it leads nothing");
  assert.equal(busy.data_dir, undefined);
  assert.ok(!JSON.stringify(busy).includes(api.dir), "no path anywhere in a read answer");

  const admin = await info(api, "admin");
  assert.equal(admin.data_dir, api.dir);
  assert.deepEqual(admin.store, { kind: "sqlite", location: join(api.dir, "spire.db") });

  writeFileSync(go, "");
  for (const id of [held, first, second]) await finishedRun(api, id);
  const idle = await until(api, (engine) => engine.capacity.task_slots.used === 0 && engine.queues.length === 0);
  assert.deepEqual([idle.capacity.task_slots.used, idle.capacity.cpus.reserved, idle.capacity.memory_bytes.reserved], [0, 0, 0]);
  assert.deepEqual(idle.queues, []);
  assert.deepEqual(idle.locks, [{ name: "db", capacity: 2, declared: { test: 2 }, held: 0, holders: [] }], "a declared lock stays listed, free");
});

test("every field of GET /engine is in the OpenAPI EngineInfo schema", async (t) => {
  const api = await startApi(t);
  const engine = (await info(api, "admin")) as unknown as Record<string, unknown>;
  const doc = (await (await api.call("GET", "/openapi.json", { as: "read" })).json()) as { components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> } };
  const schema = doc.components.schemas["EngineInfo"]!;
  assert.deepEqual(Object.keys(engine).sort(), Object.keys(schema.properties).sort());
  assert.deepEqual([...(schema.required ?? [])].sort(), Object.keys(engine).filter((key) => key !== "data_dir").sort());
});

test("a real spire engine names its supervisor: its pid, connected", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const answer = await apiGet<EngineInfo>(engine, "/engine");
  assert.equal(answer.executor, "supervisor");
  assert.equal(answer.pid, engine.child.pid);
  assert.ok(answer.supervisor && typeof answer.supervisor.pid === "number" && answer.supervisor.pid !== engine.child.pid, JSON.stringify(answer.supervisor));
  assert.equal(answer.supervisor.connected, true);
  assert.equal(answer.supervisor.lost_reason, null);
  assert.equal(answer.store.kind, "sqlite");
  await stopEngine(engine);
});
