/** The route table as a whole: scopes on every route, the OpenAPI document, errors, and the main flows. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ROUTES } from "../../src/api/routes/index.js";
import { runObject } from "../../src/api/schemas.js";
import type { AnyRoute } from "../../src/api/route.js";
import { SCOPES, type Scope } from "../../src/engine/service.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { SECURITY_HEADERS } from "../../src/api/guard.js";
import { errorOf, finishedRun, PIPELINES, rawRequest, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

const SAMPLE: Record<string, string> = { ns: "test", name: "hello", id: "0000000000000000", task: "greet" };
const concrete = (route: AnyRoute) => route.path.replace(/\{([a-z_]+)\}/g, (_, key: string) => SAMPLE[key]!);
/** Whether a token of scope `held` should pass a route that needs `needed`, written out apart from scopeAllows. */
function expectedToPass(held: Scope, needed: Scope): boolean {
  const rank = { read: 0, run: 1, admin: 2 } as const;
  if (held === "admin") return true;
  if (held === "worker" || needed === "worker") return held === needed;
  return rank[held] >= rank[needed];
}

test("every route of the table: no token 401, a smaller scope 403, a large enough one gets past auth", async (t) => {
  const api = await startApi(t);
  assert.ok(ROUTES.length >= 21, `the table has ${ROUTES.length} routes`);
  for (const route of ROUTES) {
    const path = concrete(route);
    const label = `${route.method} ${route.path}`;
    if (route.scope === "open") {
      // Open to JWTs means health, a webhook that checks its own hook token, or logging in (which needs a code or token in its body).
      const expected = route.path.startsWith("/hooks/") ? 401 : route.path === "/sessions" ? 400 : 200;
      assert.equal((await api.call(route.method, path, { as: null })).status, expected, label);
      continue;
    }
    const anonymous = await api.call(route.method, path, { as: null });
    assert.equal(anonymous.status, 401, label);
    assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Bearer/, label);
    assert.equal((await errorOf(anonymous)).code, "unauthorized", label);
    for (const scope of SCOPES) {
      const response = await api.call(route.method, path, { as: scope });
      if (!expectedToPass(scope, route.scope)) {
        assert.equal(response.status, 403, `${label} as ${scope}`);
        assert.equal((await errorOf(response)).code, "forbidden", `${label} as ${scope}`);
      } else {
        assert.ok(![401, 403].includes(response.status), `${label} as ${scope}: ${response.status}`);
        await response.body?.cancel();
      }
    }
  }
});

test("the OpenAPI document is 3.1 with bearer JWT and every route of the table", async (t) => {
  const api = await startApi(t);
  const response = await api.call("GET", "/openapi.json", { as: "read" });
  assert.equal(response.status, 200);
  const doc = (await response.json()) as {
    openapi: string;
    paths: Record<string, Record<string, { security: unknown[]; parameters: { name: string; in: string }[]; responses: Record<string, unknown>; requestBody?: { content: Record<string, unknown> } }>>;
    components: { securitySchemes: Record<string, { type: string; scheme: string; bearerFormat: string }>; schemas: Record<string, unknown> };
  };
  assert.equal(doc.openapi, "3.1.0");
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: "http", scheme: "bearer", bearerFormat: "JWT", description: doc.components.securitySchemes.bearer!["description" as "type"] });
  for (const route of ROUTES) {
    const operation = doc.paths[`/api/v1${route.path}`]?.[route.method.toLowerCase()];
    assert.ok(operation, `${route.method} ${route.path} is in the document`);
    assert.deepEqual(operation.security, route.scope === "open" ? [] : [{ bearer: [] }]);
    for (const name of route.path.match(/\{([a-z_]+)\}/g) ?? []) {
      assert.ok(operation.parameters.some((p) => p.in === "path" && `{${p.name}}` === name), `${route.path} documents ${name}`);
    }
    assert.ok(Object.keys(operation.responses).some((status) => status.startsWith("2")), `${route.path} has a success answer`);
    if (route.body) assert.ok(operation.requestBody?.content["application/json"], `${route.path} has a JSON body schema`);
  }
  assert.ok(doc.paths["/api/v1/apply"]?.post?.requestBody?.content["text/yaml"]);
  const runs = doc.paths["/api/v1/runs"]!.get!;
  assert.ok(runs.parameters.some((p) => p.name === "limit" && p.in === "query"));
  for (const id of ["Run", "TaskRun", "Error", "ChangeSet", "Token"]) assert.ok(doc.components.schemas[id], `components.schemas.${id}`);
  const text = JSON.stringify(doc);
  assert.ok(!text.includes("#/$defs/"), "every $ref points into components");
  for (const ref of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[ref[1]!], `ref ${ref[1]} resolves`);
  for (const [id, schema] of Object.entries(doc.components.schemas)) assert.notDeepEqual(schema, { $ref: `#/components/schemas/${id}` }, `${id} is a schema, not a reference to itself`);
});

test("every field of a finished run's object, and of its tasks, is in the OpenAPI Run and TaskRun schemas", async (t) => {
  const api = await startApi(t);
  await api.apply(PIPELINES);
  const run = (await finishedRun(api, await startedRun(api))) as Record<string, unknown> & { tasks: Record<string, unknown>[] };
  const doc = (await (await api.call("GET", "/openapi.json", { as: "read" })).json()) as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
  const documented = (schema: string) => Object.keys(doc.components.schemas[schema]!.properties);
  assert.deepEqual(Object.keys(run).sort(), documented("Run").sort());
  assert.ok(run.tasks.length > 0);
  for (const task of run.tasks) assert.deepEqual(Object.keys(task).sort(), documented("TaskRun").sort());
  assert.ok("cpu_ms" in run && "peak_rss_bytes" in run, "the run carries its resource totals");
});

test("unknown routes are 404, wrong methods 405 with Allow, both with the error object", async (t) => {
  const api = await startApi(t);
  const unknown = await api.call("GET", "/nope");
  assert.equal(unknown.status, 404);
  assert.equal((await errorOf(unknown)).code, "not_found");
  const wrong = await api.call("PUT", "/pipelines/test/hello");
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "GET, DELETE");
  assert.equal((await errorOf(wrong)).code, "method_not_allowed");
  // fetch makes this /etc/passwd: a page of the web UI's (index.html), never a file of the machine's.
  const outside = await api.call("GET", "/../../etc/passwd");
  assert.ok([200, 503].includes(outside.status) && /^text\/(html|plain)/.test(outside.headers.get("content-type") ?? ""), `${outside.status}`);
  assert.doesNotMatch(await outside.text(), /root:/);
});

test("validation problems are a 400 listing each with its location", async (t) => {
  const api = await startApi(t);
  const response = await api.call("GET", "/runs?limit=0&status=odd&extra=1");
  assert.equal(response.status, 400);
  const error = await errorOf(response);
  assert.equal(error.code, "bad_request");
  const details = error.details as string[];
  assert.ok(details.includes("query.limit: expected a whole number from 1 to 1000"), JSON.stringify(details));
  assert.ok(details.some((line) => line.startsWith("query.status:")));
  assert.ok(details.includes("query.extra: unknown parameter"));
  const badName = await api.call("GET", "/pipelines/te%20st/hello");
  assert.equal(badName.status, 400);
  assert.ok(((await errorOf(badName)).details as string[])[0]!.startsWith("path.ns:"));
});

test("answers carry nosniff and no-store; errors never echo the body", async (t) => {
  const api = await startApi(t);
  const response = await api.call("GET", "/pipelines");
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.equal(response.headers.get("cache-control"), "no-store");
  const secretish = "SECRET-VALUE-" + "x".repeat(10);
  const bad = await api.call("POST", "/apply", { body: `{"text": "${secretish}` });
  assert.equal(bad.status, 400);
  assert.ok(!(await bad.text()).includes(secretish));
});

test("every answer carries the security headers: answers, a cached run, refusals by a route, by auth, by Host, and before any route", async (t) => {
  const api = await startApi(t);
  await api.apply(PIPELINES);
  const id = await startedRun(api);
  await finishedRun(api, id);
  const auth = { authorization: `Bearer ${api.tokens.read}` };
  const cases: [string, string, Record<string, string>, number][] = [
    ["an answer", "/api/v1/pipelines", auth, 200],
    ["a run", `/api/v1/runs/${id}`, auth, 200],
    ["the same run again, from the cache", `/api/v1/runs/${id}`, auth, 200],
    ["no such run", "/api/v1/runs/0000000000000000", auth, 404],
    ["a run id that is not one", "/api/v1/runs/ABC", auth, 400],
    ["no token", "/api/v1/pipelines", {}, 401],
    ["a foreign Host", "/api/v1/pipelines", { ...auth, host: `evil.example:${api.port}` }, 403],
    ["a malformed URL, refused before any hook", "/api/v1/runs/%zz", auth, 400],
    ["no such route", "/api/v1/nowhere", auth, 404],
  ];
  for (const [what, path, headers, status] of cases) {
    const answer = await rawRequest(api.port, "GET", path, headers);
    assert.equal(answer.status, status, `${what}: ${answer.body}`);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(answer.headers[name], value, `${what}: ${name}`);
  }
});

async function startedRun(api: Api, args: Record<string, unknown> = {}) {
  const response = await api.call("POST", "/pipelines/test/hello/runs", { as: "run", body: { args } });
  assert.equal(response.status, 201, await response.clone().text());
  const run = (await response.json()) as { id: string };
  assert.equal(response.headers.get("location"), `/api/v1/runs/${run.id}`);
  return run.id;
}


test("apply, list, start a run, read it, its logs as NDJSON; bad args 422; pause and resume; delete", async (t) => {
  const api = await startApi(t);
  const dry = await api.call("POST", "/apply", { body: { text: PIPELINES, namespace: "test", dry_run: true } });
  assert.equal(dry.status, 200);
  assert.deepEqual(((await dry.json()) as { created: string[]; dry_run: boolean }).dry_run, true);
  await api.apply(PIPELINES);
  const listed = (await (await api.call("GET", "/pipelines?namespace=test", { as: "read" })).json()) as { pipelines: { name: string }[] };
  assert.deepEqual(listed.pipelines.map((p) => p.name).sort(), ["hello", "needs-arg"]);

  const id = await startedRun(api, { who: "api" });
  const run = runObject.parse(await finishedRun(api, id));
  assert.equal(run.state, "succeeded");
  assert.deepEqual(run.tasks.map((task) => task.path).sort(), ["checks/size", "greet", "shards[0]", "shards[1]"]);

  const logs = await api.call("GET", `/runs/${id}/tasks/greet/logs`, { as: "read" });
  assert.equal(logs.status, 200);
  assert.match(logs.headers.get("content-type") ?? "", /^application\/x-ndjson/);
  const lines = (await logs.text()).trim().split("\n").map((line) => JSON.parse(line) as { ts: number; stream: string; line: string });
  assert.deepEqual(lines.map((l) => [l.stream, l.line]).sort(), [["stderr", "to stderr"], ["stdout", "hello api"]]);
  assert.ok(lines.every((l) => typeof l.ts === "number"));
  const stderr = await (await api.call("GET", `/runs/${id}/tasks/greet/logs?stream=stderr`)).text();
  assert.equal(JSON.parse(stderr.trim()).line, "to stderr");
  for (const path of ["checks/size", "checks%2Fsize", "shards[1]", "shards%5B1%5D"]) {
    const response = await api.call("GET", `/runs/${id}/tasks/${path}/logs`);
    assert.equal(response.status, 200, path);
    assert.match(await response.text(), /size-ok|shard 1/, path);
  }
  const paged = await api.call("GET", `/runs/${id}/tasks/greet/logs?limit=1`);
  assert.equal((await paged.text()).trim().split("\n").length, 1);
  assert.ok(paged.headers.get("spire-next-cursor"), "a next cursor when more lines are left");

  const badArgs = await api.call("POST", "/pipelines/test/hello/runs", { as: "run", body: { args: { level: "slow" } } });
  assert.equal(badArgs.status, 422);
  assert.equal((await errorOf(badArgs)).code, "invalid_args");
  const missing = await api.call("POST", "/pipelines/test/nope/runs", { as: "run", body: {} });
  assert.equal(missing.status, 404);

  const page = (await (await api.call("GET", "/runs?pipeline=hello&limit=5")).json()) as { runs: { id: string }[] };
  assert.equal(page.runs[0]?.id, id);
  const paused = await api.call("POST", "/pipelines/test/hello/pause", { as: "run" });
  assert.equal(((await paused.json()) as { paused: boolean }).paused, true);
  const resumed = await api.call("POST", "/pipelines/test/hello/resume", { as: "run" });
  assert.equal(((await resumed.json()) as { paused: boolean }).paused, false);
  const namespaces = (await (await api.call("GET", "/namespaces")).json()) as { namespaces: { name: string; created_at: string }[] };
  assert.ok(namespaces.namespaces.some((ns) => ns.name === "test" && !Number.isNaN(Date.parse(ns.created_at))));
  assert.equal((await api.call("DELETE", "/pipelines/test/hello")).status, 204);
  assert.equal((await api.call("GET", "/pipelines/test/hello")).status, 404);
  const metrics = await api.call("GET", "/metrics", { as: "read" });
  assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/);
  assert.match(await metrics.text(), /^# (HELP|TYPE) /m);
});

test("invalid definitions are a 422 with the located errors", async (t) => {
  const api = await startApi(t);
  const response = await api.call("POST", "/apply?ns=test", { body: "pipelines:\n  p:\n    tasks:\n      a: { run: x, timeout: soon }\n", contentType: "application/yaml" });
  assert.equal(response.status, 422);
  const error = await errorOf(response);
  assert.equal(error.code, "invalid_definitions");
  const first = (error.details as { line: number; keyPath: string }[])[0]!;
  assert.equal(first.line, 4);
  assert.match(first.keyPath, /timeout/);
});

test("health is open and says ok; 503 while draining", async (t) => {
  const api = await startApi(t);
  const response = await api.call("GET", "/health", { as: null });
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as { status: string }).status, "ok");
  await api.engine.drain(0);
  assert.equal((await api.call("GET", "/health", { as: null })).status, 503);
  await api.apply(PIPELINES).catch(() => undefined);
  const refused = await api.call("POST", "/pipelines/test/hello/runs", { as: "run", body: {} });
  assert.ok([404, 503].includes(refused.status));
});

test("a watch lease: an unknown pipeline is a 404, one not made by spire watch a 409, each with the error object", async (t) => {
  const api = await startApi(t);
  await api.apply(PIPELINES);
  const missing = await api.call("POST", "/pipelines/test/nope/lease", { as: "run" });
  assert.equal(missing.status, 404);
  assert.match((await errorOf(missing)).message, /no pipeline test\/nope/);
  const plain = await api.call("POST", "/pipelines/test/hello/lease", { as: "run" });
  assert.equal(plain.status, 409);
  assert.match((await errorOf(plain)).message, /not made by spire watch/);
  const summary = (await (await api.call("GET", "/pipelines/test/hello")).json()) as { paused: boolean; paused_reason: string | null };
  assert.deepEqual([summary.paused, summary.paused_reason], [false, null], "and it is left as it was");
  // The watcher's id is an id: nothing else is taken, and what is wrong with it is said.
  for (const holder of ["short", "../../etc/passwd", "a".repeat(65)]) {
    const bad = await api.call("POST", "/pipelines/test/hello/lease", { as: "run", body: { holder } });
    assert.equal(bad.status, 400, holder);
    assert.match(JSON.stringify(await errorOf(bad)), /holder is 8 to 64 letters, digits, _ or -/);
  }
  const extra = await api.call("POST", "/pipelines/test/hello/lease", { as: "run", body: { holder: "watcher-one", path: "/tmp" } });
  assert.equal(extra.status, 400, "an unknown field is refused");
});
