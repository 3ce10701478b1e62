/** `spire mcp` as an assistant starts it: a child process on stdio, with the SDK's own client, against a real engine. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { SPIRE_BIN, spire } from "../helpers/cli.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { stopEngine } from "../helpers/engine.js";
import { call, controlsAndChecks, engineWithPipeline, listsEveryTool, readScopeHolds, refusesClearly, runsToCompletion } from "./scenario.js";

checkNoLeftoverProcesses();

async function connectStdio(t: { after(fn: () => Promise<void>): void }, data: string, env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SPIRE_BIN, "mcp"],
    env: { ...(process.env as Record<string, string>), SPIRE_DATA: data, NO_COLOR: "1", ...env },
    stderr: "pipe",
  });
  const client = new Client({ name: "spire-test", version: "1.0.0" });
  await client.connect(transport);
  t.after(() => client.close());
  return client;
}

test("spire mcp: tools over stdio, with the caller's token and its scope", async (t) => {
  const { engine, data, readToken } = await engineWithPipeline(t);
  const client = await connectStdio(t, data);
  await listsEveryTool(client);
  const runId = await runsToCompletion(client);
  await refusesClearly(client, runId);
  await controlsAndChecks(client);
  const readClient = await connectStdio(t, data, { SPIRE_TOKEN: readToken });
  await readScopeHolds(readClient, runId);
  await client.close();
  await readClient.close();
  await stopEngine(engine);
});

test("spire mcp without an engine: it starts, and each tool says how to start one", async (t) => {
  const data = tempDir(t);
  const client = await connectStdio(t, data);
  const answer = await call(client, "list_pipelines", {});
  assert.equal(answer.isError, true);
  assert.match(answer.text, /no engine is running/);
  assert.match(answer.text, /spire engine/);
  // What needs no engine still works.
  assert.equal((await call(client, "validate_definitions", { text: "pipelines:\n  a:\n    tasks:\n      t: { run: echo }\n" })).isError, false);
  await client.close();
});

test("spire mcp --help says what it is and how an assistant is given it", async (t) => {
  const help = await spire(["mcp", "--help"], { data: tempDir(t) });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Model Context Protocol/);
  assert.match(help.stdout, /SPIRE_TOKEN/);
  assert.match(help.stdout, /\/mcp/);
  assert.match(help.stdout, /mcpServers/);
});
