/**
 * Client mistakes a fuzzing review found answered poorly: each is now a 4xx
 * in the API's error shape that says what is wrong and where, and a request
 * that says one thing twice, differently, is refused rather than guessed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, PIPELINES, rawRequest, startApi } from "./harness.js";
import { WorkerHub } from "../../src/workers/hub.js";
import { ServiceError } from "../../src/engine/service.js";
import { makeTempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

/** Bytes sent as they are, the answer read to the end (the server closes the connection after these refusals). */
function rawBytes(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(bytes));
    let answer = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (answer += chunk));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

function parseRaw(answer: string): { status: number; headers: string; body: { error: { code: string; message: string } } } {
  const [head, body] = answer.split("\r\n\r\n");
  return { status: Number(head!.split(" ")[1]), headers: head!, body: JSON.parse(body!) as { error: { code: string; message: string } } };
}

test("bodies: a JSON string is a body of the wrong type, not text; deep nesting is said so; a byte-order mark is skipped", async (t) => {
  const api = await startApi(t);
  const asString = await api.call("POST", "/tokens", { body: '"str"', contentType: "application/json" });
  assert.equal(asString.status, 400, "not 415: the Content-Type was JSON");
  assert.match((await errorOf(asString)).message, /^invalid request: body: /);
  const toApply = await api.call("POST", "/apply", { body: '"pipelines: {}"', contentType: "application/json" });
  assert.equal(toApply.status, 400, "a JSON string to /apply is not taken for YAML");

  const deep = await api.call("POST", "/tokens", { body: `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`, contentType: "application/json" });
  assert.equal(deep.status, 400);
  assert.match((await errorOf(deep)).message, /nested too deeply/);

  const utf16 = await api.call("POST", "/tokens", { body: JSON.stringify({ name: "x", scope: "read" }), contentType: "application/json; charset=utf-16" });
  assert.equal(utf16.status, 415);
  assert.match((await errorOf(utf16)).message, /charset=utf-16 is not accepted: send the body in UTF-8/);
  const gzipped = await api.call("POST", "/tokens", { body: JSON.stringify({ name: "x", scope: "read" }), headers: { "content-encoding": "gzip" } });
  assert.equal(gzipped.status, 415);
  assert.match((await errorOf(gzipped)).message, /Content-Encoding "gzip" is not accepted: send the body uncompressed/);
  const utf8 = await api.call("POST", "/tokens", { body: JSON.stringify({ name: "utf8", scope: "read" }), contentType: "application/json; charset=UTF-8" });
  assert.equal(utf8.status, 201, "UTF-8 said outright is fine");

  const bom = await api.call("POST", "/tokens", { body: `\uFEFF${JSON.stringify({ name: "bom", scope: "read" })}`, contentType: "application/json" });
  assert.equal(bom.status, 201, await bom.clone().text());
});

test("the HTTP parser's refusals (headers too large, a malformed request) come in the error shape, with the security headers", async (t) => {
  const api = await startApi(t);
  const large = parseRaw(await rawBytes(api.port, `GET /api/v1/runs/${"a".repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\n\r\n`));
  assert.equal(large.status, 431);
  assert.equal(large.body.error.code, "headers_too_large");
  assert.match(large.body.error.message, /shorter URL/);
  assert.match(large.headers, /x-content-type-options: nosniff/);
  const malformed = parseRaw(await rawBytes(api.port, "GET /api/v1/health NOT-HTTP\r\nHost: x\r\n\r\n"));
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, "bad_request");
  assert.match(malformed.body.error.message, /could not be read as HTTP/);
});

test("URL and query mistakes: a long path part is said so without echoing the URL; a parameter given twice; a lifetime in words", async (t) => {
  const api = await startApi(t);
  const long = await rawRequest(api.port, "GET", `/api/v1/runs/${"a".repeat(1001)}?secret=q`, { authorization: `Bearer ${api.tokens.read}` });
  assert.equal(long.status, 400);
  const error = await errorOf(long);
  assert.match(error.message, /longer than 1,000 characters/);
  assert.ok(!error.message.includes("aaaa") && !error.message.includes("secret=q"), error.message);

  const twice = await api.call("GET", "/runs?limit=1&limit=2", { as: "read" });
  assert.equal(twice.status, 400);
  assert.deepEqual((await errorOf(twice)).details, ["query.limit: given 2 times: give it once"]);

  const ttl = await api.call("POST", "/tokens", { body: { name: "x", scope: "read", ttl: "5 years" } });
  assert.equal(ttl.status, 400);
  assert.deepEqual((await errorOf(ttl)).details, ["body.ttl: expected a duration such as 12h or 30d, or a number of seconds"]);
});

test("apply: a dry run asked for in the query and not in the body (or two namespaces) is refused, and nothing is applied", async (t) => {
  const api = await startApi(t);
  const refused = await api.call("POST", "/apply?dry_run=false&ns=one", { body: { text: PIPELINES, dry_run: true, namespace: "two" } });
  assert.equal(refused.status, 400);
  const error = await errorOf(refused);
  assert.deepEqual(error.details, [
    'query.ns ("one") and body.namespace ("two") disagree: give it in one place',
    "query.dry_run (false) and body.dry_run (true) disagree: give it in one place",
  ]);
  const pipelines = (await (await api.call("GET", "/pipelines", { as: "read" })).json()) as { pipelines: unknown[] };
  assert.deepEqual(pipelines.pipelines, [], "nothing was applied");
  const agreeing = await api.call("POST", "/apply?dry_run=true&ns=test", { body: { text: PIPELINES, dry_run: true, namespace: "test" } });
  assert.equal(agreeing.status, 200, `the same value in both places is fine: ${await agreeing.clone().text()}`);
});

test("a worker may not take the name of the engine's own machine", (t) => {
  const { dir, remove } = makeTempDir("spire-hub-");
  t.after(remove);
  const hub = new WorkerHub({ dataDir: dir, localName: "engine-box" });
  const registration = { labels: ["gpu"], tasks: 1, cpus: 1, memory_bytes: 1e9, version: "0", host: "h", data_dir: "/w", work_dir: "/w", node_path: "node", running: [], allow_insecure: false };
  assert.throws(
    () => hub.register({ ...registration, name: "engine-box" }, "127.0.0.1"),
    (error: Error) => error instanceof ServiceError && error.code === "conflict" && /the name of the engine's own machine.*spire worker --name NAME/.test(error.message),
  );
  assert.equal(typeof hub.register({ ...registration, name: "gpu-box" }, "127.0.0.1").session, "string");
  hub.close();
});
