/**
 * GET /workers (the machines that run tasks) and the worker scope: a worker
 * program's token reaches the worker routes only, never a person's routes
 * nor the web UI.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { scopeAllows } from "../../src/api/auth.js";
import { workerInfo } from "../../src/api/routes/worker-list.js";
import { SCOPES } from "../../src/engine/service.js";
import { VERSION } from "../../src/version.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, PIPELINES, startApi } from "./harness.js";

checkNoLeftoverProcesses();

test("scopeAllows: read < run < admin; worker only on worker routes, which an admin may use too", () => {
  const allowed = SCOPES.flatMap((held) => SCOPES.filter((needed) => scopeAllows(held, needed)).map((needed) => `${held}→${needed}`));
  assert.deepEqual(allowed, [
    "read→read",
    "run→read",
    "run→run",
    "admin→read",
    "admin→run",
    "admin→admin",
    "admin→worker",
    "worker→worker",
  ]);
});

test("GET /workers: the engine's own machine, named by its host name, with its capacity; a read token may list them", async (t) => {
  const api = await startApi(t);
  const response = await api.call("GET", "/workers", { as: "read" });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { workers: unknown[] };
  assert.equal(body.workers.length, 1);
  const local = workerInfo.parse(body.workers[0]);
  const host = hostname();
  const { last_seen, connected_since, capacity, ...rest } = local;
  assert.deepEqual(rest, {
    name: host,
    labels: ["local", host],
    local: true,
    state: "connected",
    version: VERSION,
    host,
    address: null,
    in_use: { tasks: 0, cpus: 0, memory_bytes: 0 },
  });
  // The harness's engine: parallelism 4, and this machine's cores and memory, as GET /engine reports them.
  const engine = (await (await api.call("GET", "/engine", { as: "read" })).json()) as { started_at: string; capacity: { cpus: { total: number }; memory_bytes: { total: number } } };
  assert.deepEqual(capacity, { tasks: 4, cpus: engine.capacity.cpus.total, memory_bytes: engine.capacity.memory_bytes.total });
  assert.equal(connected_since, engine.started_at, "connected since the engine started");
  assert.ok(Math.abs(Date.parse(last_seen!) - Date.now()) < 5_000, `last seen now, not ${last_seen}`);
});

test("a worker token gets 403 on a person's routes, saying what its scope allows and what the route needs", async (t) => {
  const api = await startApi(t);
  await api.apply(PIPELINES);
  const refusals: [string, string, string, unknown?][] = [
    ["GET", "/runs", "read"],
    ["GET", "/workers", "read"],
    ["POST", "/apply?ns=test", "admin", PIPELINES],
    ["POST", "/pipelines/test/hello/runs", "run", {}],
    ["GET", "/events", "read"],
    ["GET", "/session", "read"],
    ["POST", "/ui/login-link", "read"],
  ];
  for (const [method, path, needed, body] of refusals) {
    const response = await api.call(method, path, { as: "worker", ...(body !== undefined ? { body, ...(typeof body === "string" ? { contentType: "text/yaml" } : {}) } : {}) });
    assert.equal(response.status, 403, `${method} ${path}`);
    const error = await errorOf(response);
    assert.equal(error.code, "forbidden");
    assert.equal(error.message, `this token (worker) has the worker scope, which only lets a worker run tasks; this needs a token with the ${needed} scope`, `${method} ${path}`);
    assert.deepEqual(error.details, { hint: `make a token with that scope: spire token create --scope ${needed}` });
  }
  const runs = (await (await api.call("GET", "/runs", { as: "read" })).json()) as { runs: unknown[] };
  assert.deepEqual(runs.runs, [], "the refused start made no run");
});

test("a worker token cannot log in to the web UI: no session is made from it", async (t) => {
  const api = await startApi(t);
  const response = await api.call("POST", "/sessions", { as: null, body: { token: api.tokens.worker } });
  assert.equal(response.status, 403);
  assert.equal(response.headers.get("set-cookie"), null, "no cookie");
  const error = await errorOf(response);
  assert.match(error.message, /the token worker has the worker scope, which only lets a worker run tasks: it cannot log in to the web UI/);
  assert.deepEqual(error.details, { hint: "log in with a read, run or admin token: spire token create --scope read" });
  const sessions = (await (await api.call("GET", "/sessions", { as: "admin" })).json()) as { sessions: unknown[] };
  assert.deepEqual(sessions.sessions, []);
});

test("an admin makes a worker token over the API; it is listed with its scope; a scope not known is a 400 naming the field", async (t) => {
  const api = await startApi(t);
  const created = await api.call("POST", "/tokens", { body: { name: "gpu-box", scope: "worker" } });
  assert.equal(created.status, 201);
  const { token, info } = (await created.json()) as { token: string; info: { id: string; scope: string } };
  assert.equal(info.scope, "worker");
  const listed = (await (await api.call("GET", "/tokens")).json()) as { tokens: { id: string; scope: string }[] };
  assert.equal(listed.tokens.find((entry) => entry.id === info.id)?.scope, "worker");
  assert.equal((await api.call("GET", "/engine", { as: { token } })).status, 403);
  const unknown = await api.call("POST", "/tokens", { body: { name: "x", scope: "workers" } });
  assert.equal(unknown.status, 400);
  assert.deepEqual((await errorOf(unknown)).details, ['body.scope: expected read, run, admin or worker']);
});
