/** Hostile input: fuzzed bodies, path traversal on the logs route, foreign Host and Origin headers. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, PIPELINES, rawRequest, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

const CONTENT_TYPES = ["application/json", "text/yaml", "application/yaml", "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "image/png", "application/json; charset=latin1"];

async function expectClientError(api: Api, path: string, body: string, contentType: string): Promise<void> {
  const response = await api.call("POST", path, { body, contentType });
  assert.ok(response.status >= 400 && response.status < 500, `${path} ${contentType} ${JSON.stringify(body).slice(0, 200)} → ${response.status}`);
  const error = await errorOf(response);
  assert.ok(error.code.length > 0);
}

test("fuzzed bodies to POST /apply and POST /pipelines/{ns}/{name}/runs always get a 4xx error object, and the server stays up", async (t) => {
  const api = await startApi(t);
  await api.apply(PIPELINES);
  // needs-arg has a required argument, so no random body can start a run: every answer must be a refusal.
  const targets = ["/apply", "/pipelines/test/needs-arg/runs"];
  const bodies = fc.oneof(
    fc.json().map((text) => ({ text, type: "application/json" })),
    fc.jsonValue().map((value) => ({ text: JSON.stringify({ args: value, text: value, partition: value }), type: "application/json" })),
    fc.string({ unit: "binary" }).map((text) => ({ text, type: "application/json" })),
    fc.tuple(fc.string(), fc.constantFrom(...CONTENT_TYPES)).map(([text, type]) => ({ text, type })),
    fc.constantFrom('{"__proto__": {"admin": true}}', '{"args": {"__proto__": {"x": 1}}}', "null", "[]", '"text"', "{", "\u0000"). map((text) => ({ text, type: "application/json" })),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...targets), bodies, async (path, body) => {
      // A random string is sometimes valid YAML of an empty namespace; /apply's YAML path must then still refuse it.
      await expectClientError(api, path, body.text, body.type);
    }),
    { numRuns: 300 },
  );
  const huge = "a".repeat(5 * 1024 * 1024 + 1);
  for (const path of targets) {
    const response = await api.call("POST", path, { body: huge, contentType: path === "/apply" ? "text/yaml" : "application/json" });
    assert.equal(response.status, 413, path);
    assert.equal((await errorOf(response)).code, "payload_too_large");
  }
  const wrongType = await api.call("POST", "/pipelines/test/needs-arg/runs", { body: "args: {}", contentType: "text/yaml" });
  assert.equal(wrongType.status, 415);
  assert.equal((await api.call("GET", "/health", { as: null })).status, 200, "still up");
  const good = await api.call("POST", "/pipelines/test/needs-arg/runs", { as: "run", body: { args: { level: "fast" } } });
  assert.equal(good.status, 201, "and still works");
});

test("the logs route: traversal, encodings, NUL and unknown runs or tasks are 400/404 and never leak a file", async (t) => {
  const api = await startApi(t);
  await api.apply(PIPELINES);
  const started = await api.call("POST", "/pipelines/test/hello/runs", { as: "run", body: {} });
  const { id } = (await started.json()) as { id: string };
  // A file in the data folder that no log request may ever return.
  await writeFile(join(api.dir, "canary.txt"), "CANARY-INSIDE\n");
  const auth = { authorization: `Bearer ${api.tokens.read}` };
  const attempts = [
    `..%2f..%2f..%2f..%2fetc%2fpasswd`,
    `%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
    `%2e%2e/%2e%2e/etc/passwd`,
    `../../../../etc/passwd`,
    `%252e%252e%252fetc%252fpasswd`,
    `greet%00`,
    `greet%00/../../etc/passwd`,
    `%2fetc%2fpasswd`,
    `/etc/passwd`,
    `..`,
    `.`,
    `greet%2f..%2f..%2fsecret`,
    `%c0%ae%c0%ae%2fsecret`,
    `..%2f..%2f..%2fcanary.txt`,
    `..%5c..%5ccanary.txt`,
    `greet/../../../../canary.txt`,
    `%zz`,
    `nosuchtask`,
    `checks/nosuch`,
    `shards[9]`,
  ];
  for (const task of attempts) {
    for (const run of [id, "0000000000000000"]) {
      const answer = await rawRequest(api.port, "GET", `/api/v1/runs/${run}/tasks/${task}/logs`, auth);
      assert.ok([400, 404].includes(answer.status), `${task} → ${answer.status} ${answer.body}`);
      assert.ok(!/root:|CANARY|[0-9a-f]{64}/.test(answer.body), `${task} leaked: ${answer.body}`);
      JSON.parse(answer.body);
    }
  }
  for (const run of ["..%2f..%2fsecret", "%2e%2e", "..", "ABC", "a%00b"]) {
    const answer = await rawRequest(api.port, "GET", `/api/v1/runs/${run}/tasks/greet/logs`, auth);
    assert.ok([400, 404].includes(answer.status), `run ${run} → ${answer.status}`);
  }
  const secret = await rawRequest(api.port, "GET", `/api/v1/runs/${id}/tasks/..%2f..%2fsecret/logs`, auth);
  assert.equal(secret.status, 400);
  assert.ok((JSON.parse(secret.body).error.details as string[])[0]!.startsWith("path.task:"));
});

test("Host and Origin: only the engine's own names; a foreign origin is refused even with a token", async (t) => {
  const api = await startApi(t);
  const auth = { authorization: `Bearer ${api.tokens.admin}` };
  const allowed = [`127.0.0.1:${api.port}`, `localhost:${api.port}`, `LOCALHOST:${api.port}`, `[::1]:${api.port}`];
  for (const host of allowed) assert.equal((await rawRequest(api.port, "GET", "/api/v1/pipelines", { ...auth, host })).status, 200, host);
  for (const host of [`evil.example:${api.port}`, "127.0.0.1", `127.0.0.1:${api.port + 1}`, `localhost.evil.example:${api.port}`, ""]) {
    const answer = await rawRequest(api.port, "GET", "/api/v1/health", { host });
    assert.equal(answer.status, 403, `host ${host}`);
    assert.equal(JSON.parse(answer.body).error.code, "forbidden");
  }
  const host = `127.0.0.1:${api.port}`;
  assert.equal((await rawRequest(api.port, "GET", "/api/v1/pipelines", { ...auth, host, origin: `http://${host}` })).status, 200);
  assert.equal((await rawRequest(api.port, "GET", "/api/v1/pipelines", { ...auth, host, origin: `http://localhost:${api.port}` })).status, 200);
  for (const origin of ["http://evil.example", `http://evil.example:${api.port}`, "null", `http://${host}.evil.example`, `file://${host}`]) {
    const answer = await rawRequest(api.port, "POST", "/api/v1/pipelines/test/hello/pause", { ...auth, host, origin });
    assert.equal(answer.status, 403, `origin ${origin}`);
  }
});
