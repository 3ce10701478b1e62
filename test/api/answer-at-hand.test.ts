/**
 * Answers at hand before Fastify (src/api/answer-at-hand.ts): a cached run
 * for a known bearer token is answered from node's request listener with
 * Fastify's status, headers and bytes; every other request, and every one
 * that would be refused, reaches Fastify's listener untouched.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { loadOrCreateSecret, TokenAuthority } from "../../src/api/auth.js";
import { answerAtHandFirst } from "../../src/api/answer-at-hand.js";
import { allowedHostSet, SECURITY_HEADERS } from "../../src/api/guard.js";
import { LoginLinks } from "../../src/api/login-links.js";
import { route, type AnyRoute, type ApiDeps } from "../../src/api/route.js";
import { ROUTES } from "../../src/api/routes/index.js";
import { runObjectJson } from "../../src/engine/reads/run-cache.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { finishedRun, rawRequest, startApi, type Api, type RawAnswer } from "./harness.js";

checkNoLeftoverProcesses();

const PIPELINE = `
pipelines:
  hello:
    tasks:
      greet: { run: "echo hello" }
`;

async function cachedRunId(api: Api): Promise<string> {
  await api.apply(PIPELINE);
  const started = await api.call("POST", "/pipelines/test/hello/runs", { as: "run", body: {} });
  assert.equal(started.status, 201);
  const { id } = (await started.json()) as { id: string };
  await finishedRun(api, id);
  assert.equal((await api.call("GET", `/runs/${id}`, { as: "read" })).status, 200);
  assert.ok(api.engine.cachedRun(id), "a finished run's object is kept once read");
  return id;
}

/** Headers as a client sees them, in the order sent, without the date (the one that changes). */
function headerList(answer: RawAnswer): [string, unknown][] {
  return Object.entries(answer.headers).filter(([name]) => name !== "date");
}

test("a cached run for a known bearer token: the same status, headers (in order) and bytes as Fastify's answer", async (t) => {
  const api = await startApi(t);
  const id = await cachedRunId(api);
  const auth = { authorization: `Bearer ${api.tokens.read}` };
  // A query string keeps a request from the lane (PLAIN_SEGMENT): that one is Fastify's answer at hand.
  const fastify = await rawRequest(api.port, "GET", `/api/v1/runs/${id}?from=fastify`, auth);
  const atHand = await rawRequest(api.port, "GET", `/api/v1/runs/${id}`, auth);
  assert.equal(fastify.status, 200);
  assert.equal(atHand.status, 200);
  assert.deepEqual(headerList(atHand), headerList(fastify));
  assert.equal(atHand.body, fastify.body);
  assert.equal(atHand.body, JSON.stringify(await api.engine.getRun(id)), "the run object's JSON, byte for byte");
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(atHand.headers[name], value, name);
});

test("answers of other bytes, one after another, each with its own length (the lane keeps the last answer's headers)", async (t) => {
  const api = await startApi(t);
  const first = await cachedRunId(api);
  // A second run of another pipeline: another object, of another length.
  await api.apply(PIPELINE.replace("hello:", "hello-again-with-a-longer-name:"));
  const started = await api.call("POST", "/pipelines/test/hello-again-with-a-longer-name/runs", { as: "run", body: {} });
  const { id: second } = (await started.json()) as { id: string };
  await finishedRun(api, second);
  assert.equal((await api.call("GET", `/runs/${second}`, { as: "read" })).status, 200);
  const auth = { authorization: `Bearer ${api.tokens.read}` };
  for (const id of [first, first, second, first, second]) {
    const answer = await rawRequest(api.port, "GET", `/api/v1/runs/${id}`, auth);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, JSON.stringify(await api.engine.getRun(id)));
    assert.equal(answer.headers["content-length"], String(Buffer.byteLength(answer.body)));
  }
});

test("the lane answers only what Fastify would answer 200 at once; everything else reaches Fastify's listener", async (t) => {
  const api = await startApi(t);
  const id = await cachedRunId(api);
  // The engine's own authority over the same store and secret, with a clock that stands still:
  // a token's record stays fresh (TOKEN_ROW_TTL_MS) however slow the machine.
  const clock = Date.now();
  const auth = new TokenAuthority(api.store, await loadOrCreateSecret(api.dir), () => clock);
  for (const token of Object.values(api.tokens)) assert.ok(await auth.verify(token), "each token is verified once: then it is known");
  const deps: ApiDeps = {
    service: api.engine,
    auth,
    logger: pino({ level: "silent" }),
    openapi: () => ({}),
    heartbeatMs: 15_000,
    streams: new Set(),
    loginLinks: new LoginLinks(),
  };
  const logger = pino({ level: "info" });
  /** A node server whose own listener stands for Fastify's (it answers 418), with the lane for `routes` in front. */
  const laneServer = async (routes: readonly AnyRoute[]) => {
    const toFastify: string[] = [];
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      toFastify.push(`${request.method} ${request.url}`);
      response.writeHead(418).end();
    });
    const lane = answerAtHandFirst(server, routes, deps, () => allowedHostSet("127.0.0.1", port), logger);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    return { port, toFastify, lane };
  };
  const { port, toFastify, lane } = await laneServer(ROUTES);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const path = `/api/v1/runs/${id}`;
  const expected = runObjectJson(api.engine.cachedRun(id)!).toString("utf8");

  const answered = async (what: string, headers: Record<string, string>, method = "GET", at = path) => {
    const before = toFastify.length;
    const answer = await rawRequest(port, method, at, headers);
    assert.equal(answer.status, 200, `${what}: answered at hand`);
    assert.equal(answer.body, expected, what);
    assert.equal(toFastify.length, before, `${what}: not passed on`);
  };
  const passedOn = async (what: string, headers: Record<string, string>, method = "GET", at = path) => {
    const answer = await rawRequest(port, method, at, headers);
    assert.equal(answer.status, 418, `${what}: passed on to Fastify`);
    assert.equal(toFastify.at(-1), `${method} ${at}`, what);
  };

  await answered("a read token", bearer(api.tokens.read));
  await answered("an admin token, from the engine's own page", { ...bearer(api.tokens.admin), origin: `http://127.0.0.1:${port}` });
  await answered("a Host in capitals", { ...bearer(api.tokens.read), host: `LOCALHOST:${port}` });

  await passedOn("no token", {});
  await passedOn("a session cookie", { cookie: `spire_session=${api.tokens.read}` });
  await passedOn("a token never verified here", bearer(`${api.tokens.read.slice(0, -2)}xx`));
  await passedOn("a worker token (the wrong scope)", bearer(api.tokens.worker));
  await passedOn("`bearer` in lower case", { authorization: `bearer ${api.tokens.read}` });
  await passedOn("a foreign Host", { ...bearer(api.tokens.read), host: `evil.example:${port}` });
  await passedOn("a foreign Origin", { ...bearer(api.tokens.read), origin: "http://evil.example" });
  await passedOn("a HEAD", bearer(api.tokens.read), "HEAD");
  await passedOn("a POST", bearer(api.tokens.read), "POST");
  for (const at of [`${path}?x=1`, `${path}/`, `${path.slice(0, -1)}%${path.charCodeAt(path.length - 1).toString(16)}`, "/api/v1/runs/0000000000000000", `/API/v1/runs/${id}`, `${path}/cancel`]) {
    await passedOn(at, bearer(api.tokens.read), "GET", at);
  }

  logger.level = "debug";
  await passedOn("the API logging at debug level (each answer is logged with Fastify's request id)", bearer(api.tokens.read));
  logger.level = "info";
  await answered("back at info level", bearer(api.tokens.read));

  const reader = (await auth.list()).find((token) => token.name === "reader")!;
  assert.equal(await auth.revoke(reader.id), true);
  await passedOn("a token revoked a moment ago", bearer(api.tokens.read));
  // A revoke drops every record kept (a token's sessions go with it): a request through Fastify reads it again.
  await passedOn("another token, its record dropped with the revoke", bearer(api.tokens.admin));
  assert.ok(await auth.verify(api.tokens.admin));
  await answered("that token, read again", bearer(api.tokens.admin));

  lane.stop();
  await passedOn("a server that is closing (Fastify answers 503)", bearer(api.tokens.admin));

  // The router prefers a fixed name to a parameter: with a GET /runs/latest, /runs/{id} gets no lane.
  const latest = route({ method: "GET", path: "/runs/latest", scope: "read", summary: "The newest run.", tag: "runs", responses: [], handler: async () => undefined });
  const shadowed = await laneServer([...ROUTES, latest]);
  const answer = await rawRequest(shadowed.port, "GET", path, bearer(api.tokens.admin));
  assert.equal(answer.status, 418, "passed on to Fastify");
  assert.deepEqual(shadowed.toFastify, [`GET ${path}`]);
});
