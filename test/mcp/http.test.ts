/** The engine's /mcp endpoint with the SDK's Streamable HTTP client: the same tools, the bearer token's scope, no way in without one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { stopEngine } from "../helpers/engine.js";
import { spire } from "../helpers/cli.js";
import { controlsAndChecks, engineWithPipeline, listsEveryTool, readScopeHolds, refusesClearly, runsToCompletion } from "./scenario.js";

checkNoLeftoverProcesses();

async function connectHttp(url: string, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: "spire-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

test("/mcp: tools over Streamable HTTP with a bearer token, its scope holding", async (t) => {
  const { engine, data, readToken } = await engineWithPipeline(t);
  const adminToken = readFileSync(join(data, "token"), "utf8").trim();
  const client = await connectHttp(engine.url, adminToken);
  await listsEveryTool(client);
  const runId = await runsToCompletion(client);
  await refusesClearly(client, runId);
  await controlsAndChecks(client);
  const readClient = await connectHttp(engine.url, readToken);
  await readScopeHolds(readClient, runId);
  await client.close();
  await readClient.close();

  // No way in without a valid token, whatever the method.
  const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } });
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  for (const [method, body] of [["POST", initialize], ["GET", undefined], ["DELETE", undefined]] as const) {
    const anonymous = await fetch(`${engine.url}/mcp`, { method, headers, ...(body ? { body } : {}) });
    assert.equal(anonymous.status, 401, method);
    assert.match(((await anonymous.json()) as { error: { message: string } }).error.message, /no token/);
  }
  const forged = await fetch(`${engine.url}/mcp`, { method: "POST", headers: { ...headers, authorization: "Bearer not.a.token" }, body: initialize });
  assert.equal(forged.status, 401);
  const worker = await spire(["token", "create", "--scope", "worker", "--name", "box"], { data });
  const asWorker = await fetch(`${engine.url}/mcp`, { method: "POST", headers: { ...headers, authorization: `Bearer ${worker.stdout.trim()}` }, body: initialize });
  assert.equal(asWorker.status, 403, "a worker token runs tasks, nothing else");
  // Params of the wrong shape are the client's mistake: -32602 with a plain message, not -32603 with the SDK's schema dump.
  const call = (id: number, method: string, params: unknown) => JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
  for (const [method, params, said] of [
    ["tools/call", { name: "list_pipelines", arguments: [] }, /params\.arguments must be an object of the tool's arguments by name/],
    ["tools/call", { name: 42 }, /params\.name must be the name of a tool/],
    ["tools/call", undefined, /tools\/call needs params/],
    ["resources/read", { uri: "notauri" }, /params\.uri must be a resource's URI/],
    ["tools/list", { cursor: 5 }, /params\.cursor must be the nextCursor of an earlier page/],
  ] as const) {
    const answer = await fetch(`${engine.url}/mcp`, { method: "POST", headers: { ...headers, authorization: `Bearer ${readToken}` }, body: call(7, method, params) });
    assert.equal(answer.status, 200);
    const body = (await answer.json()) as { id: number; error: { code: number; message: string } };
    assert.equal(body.id, 7);
    assert.equal(body.error.code, -32602, body.error.message);
    assert.match(body.error.message, said);
  }
  const stream = await fetch(`${engine.url}/mcp`, { headers: { authorization: `Bearer ${readToken}`, accept: "text/event-stream" } });
  assert.equal(stream.status, 405);
  assert.equal(stream.headers.get("allow"), "POST");
  await stream.body?.cancel();
  await stopEngine(engine);
});
