/**
 * What an assistant does with Spire's MCP server, asserted the same way over
 * each transport: the stdio test (`spire mcp`) and the engine's /mcp each
 * hand in an admin client and a read-scope client of one real engine.
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, type RunningEngine } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";

export const TOOLS = [
  "cancel_run",
  "describe_pipeline",
  "get_run",
  "list_pipelines",
  "list_runs",
  "next_fire_times",
  "pause_pipeline",
  "read_task_logs",
  "resume_pipeline",
  "retry_run",
  "start_run",
  "validate_definitions",
];

const DEFINITIONS = `pipelines:
  greet:
    args:
      name: { default: world, pattern: "^[A-Za-z]+$" }
    tasks:
      say:
        run: |
          echo "hello, $SPIRE_ARG_NAME"
          echo "careful" >&2
      after:
        needs: [say]
        run: echo done
`;

export interface SpireWithTokens {
  engine: RunningEngine;
  data: string;
  readToken: string;
}

/** A real engine with the greet pipeline applied, and a token of the read scope. */
export async function engineWithPipeline(t: TestContext): Promise<SpireWithTokens> {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const applied = await spire(["apply", "-f", pipelineFile(data, DEFINITIONS)], { data });
  assert.equal(applied.code, 0, applied.stderr);
  const created = await spire(["token", "create", "--scope", "read", "--name", "assistant"], { data });
  assert.equal(created.code, 0, created.stderr);
  return { engine, data, readToken: created.stdout.trim() };
}

interface ToolAnswer {
  text: string;
  isError: boolean;
}

export async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text?: string }[];
  return { text: content.map((part) => part.text ?? "").join("\n"), isError: result.isError === true };
}

async function json(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const answer = await call(client, name, args);
  assert.equal(answer.isError, false, `${name}: ${answer.text}`);
  return JSON.parse(answer.text) as Record<string, any>;
}

export async function listsEveryTool(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name).sort(), TOOLS);
  for (const tool of tools) {
    assert.ok((tool.description ?? "").length > 60, `${tool.name} says what it does`);
    assert.equal(tool.inputSchema.type, "object");
  }
  const startRun = tools.find((tool) => tool.name === "start_run")!;
  assert.deepEqual(startRun.inputSchema.required, ["pipeline"]);
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.deepEqual(resourceTemplates.map((template) => template.uriTemplate).sort(), ["spire://runs/{id}", "spire://runs/{id}/tasks/{+task}/logs"]);
}

/** Start a run, wait for it to end, read it and its logs as tools and as resources. */
export async function runsToCompletion(client: Client): Promise<string> {
  const { pipelines } = await json(client, "list_pipelines", {});
  assert.deepEqual(pipelines.map((pipeline: { name: string }) => pipeline.name), ["greet"]);
  const described = await json(client, "describe_pipeline", { pipeline: "greet" });
  assert.ok(described.definition.args.name, "the arguments are described");

  const started = await json(client, "start_run", { pipeline: "greet", args: { name: "Ada" } });
  assert.match(started.id, /^[0-9a-z]+$/);
  const run = await json(client, "get_run", { run_id: started.id, wait_seconds: 60 });
  assert.equal(run.state, "succeeded");
  assert.deepEqual(run.tasks.map((task: { path: string; state: string }) => `${task.path}:${task.state}`).sort(), ["after:succeeded", "say:succeeded"]);

  const logs = await call(client, "read_task_logs", { run_id: started.id, task: "say" });
  assert.equal(logs.isError, false, logs.text);
  assert.match(logs.text, /lines 1-2 of 2/);
  assert.match(logs.text, /^hello, Ada$/m);
  assert.match(logs.text, /^\[stderr\] careful$/m);
  const bounded = await call(client, "read_task_logs", { run_id: "last", task: "say", lines: 1 });
  assert.doesNotMatch(bounded.text, /hello/, "only the last line");
  assert.match(bounded.text, /lines 2-2 of 2/);

  const resource = await client.readResource({ uri: `spire://runs/${started.id}` });
  assert.equal(JSON.parse((resource.contents[0] as { text: string }).text).state, "succeeded");
  const logResource = await client.readResource({ uri: `spire://runs/${started.id}/tasks/say/logs` });
  assert.match((logResource.contents[0] as { text: string }).text, /hello, Ada/);
  return started.id as string;
}

/** What the engine refuses comes back as a tool error with its message, the server still answering after it. */
export async function refusesClearly(client: Client, runId: string): Promise<void> {
  const unknown = await call(client, "start_run", { pipeline: "gret" });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /no pipeline named gret/);
  assert.match(unknown.text, /Did you mean greet\?/);

  const badArg = await call(client, "start_run", { pipeline: "greet", args: { name: "Ada 1" } });
  assert.equal(badArg.isError, true);
  assert.match(badArg.text, /name/);
  assert.doesNotMatch(badArg.text, /\n\s+at /, "no stack trace");

  const wrongType = await call(client, "get_run", { run_id: 42 });
  assert.equal(wrongType.isError, true);
  assert.match(wrongType.text, /run_id/);

  const noRun = await call(client, "get_run", { run_id: "zzzzzzzz" });
  assert.equal(noRun.isError, true);
  assert.match(noRun.text, /no run with id zzzzzzzz/);

  const ended = await call(client, "cancel_run", { run_id: runId });
  assert.equal(ended.isError, true);
  assert.match(ended.text, /ended|finished|succeeded/);

  await assert.rejects(client.readResource({ uri: "spire://runs/zzzzzzzz" }), /zzzzzzzz/);
  assert.equal((await json(client, "list_pipelines", {})).pipelines.length, 1, "still answering");
}

/** Pause and resume, a schedule preview and a validation. */
export async function controlsAndChecks(client: Client): Promise<void> {
  assert.equal((await json(client, "pause_pipeline", { pipeline: "greet", reason: "testing" })).paused, true);
  assert.equal((await json(client, "resume_pipeline", { pipeline: "greet" })).paused, false);

  const next = await json(client, "next_fire_times", { schedule: "0 3 * * *", timezone: "UTC", from: "2027-01-01T00:00:00Z", count: 2 });
  assert.deepEqual(next.next.map((time: { at: string }) => time.at.slice(0, 16)), ["2027-01-01T03:00", "2027-01-02T03:00"]);
  const every = await json(client, "next_fire_times", { schedule: "every 90m", timezone: "UTC", from: "2027-01-01T00:00:00Z", count: 3 });
  assert.deepEqual(every.next.map((time: { at: string }) => time.at.slice(0, 16)), ["2027-01-01T01:30", "2027-01-01T03:00", "2027-01-01T04:30"], "every, as spire next counts it");
  const at = await json(client, "next_fire_times", { schedule: "at 2027-06-01T12:00:00Z", timezone: "UTC", from: "2027-01-01T00:00:00Z" });
  assert.deepEqual(at.next.map((time: { at: string }) => time.at.slice(0, 16)), ["2027-06-01T12:00"]);
  const badEvery = await call(client, "next_fire_times", { schedule: "every soon" });
  assert.equal(badEvery.isError, true);
  assert.match(badEvery.text, /^schedule: "soon" is not a duration\nA duration: 500ms/);
  const tooShort = await call(client, "next_fire_times", { schedule: "every 10ms" });
  assert.equal(tooShort.isError, true);
  assert.match(tooShort.text, /^schedule: every 10ms is shorter than 50ms\nschedule takes a pipeline, or a cron/);
  assert.doesNotMatch(tooShort.text, /once/, "the forms next_fire_times takes, not those of spire run --when");
  const badCron = await call(client, "next_fire_times", { schedule: "0 25 * * *" });
  assert.equal(badCron.isError, true);
  assert.match(badCron.text, /hour/);
  const noTimeTriggers = await call(client, "next_fire_times", { schedule: "greet" });
  assert.equal(noTimeTriggers.isError, true);
  assert.match(noTimeTriggers.text, /greet has no time triggers/);

  const invalid = await json(client, "validate_definitions", { text: "pipelines:\n  x:\n    tasks:\n      a: { run: echo, needs: [b] }\n" });
  assert.equal(invalid.ok, false);
  assert.match(invalid.report, /spire\.yaml:4:\d+/);
  assert.match(invalid.report, /\bb\b/);
  const valid = await json(client, "validate_definitions", { text: DEFINITIONS, file_name: "greet.yaml" });
  assert.deepEqual([valid.ok, valid.pipelines, valid.tasks], [true, ["greet"], 2]);
}

/** A read token sees, and is refused what needs the run scope, with the scope named. */
export async function readScopeHolds(readClient: Client, runId: string): Promise<void> {
  assert.equal((await json(readClient, "get_run", { run_id: runId })).state, "succeeded");
  for (const [tool, args] of [
    ["start_run", { pipeline: "greet" }],
    ["retry_run", { run_id: runId }],
    ["pause_pipeline", { pipeline: "greet" }],
  ] as const) {
    const refused = await call(readClient, tool, args);
    assert.equal(refused.isError, true, tool);
    assert.match(refused.text, /needs a token with the run scope; this one \(assistant\) has read/, tool);
    assert.match(refused.text, /spire token create --scope run/, tool);
  }
}
