/** Tools about pipelines: list them, read one, pause and resume one. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { PIPELINE_REFERENCE, withPipeline, type McpContext } from "./context.js";
import { jsonResult } from "./results.js";

const pipeline = z.string().min(1).max(300).describe(PIPELINE_REFERENCE);

export function registerPipelineTools(server: McpServer, { clients, answer }: McpContext): void {
  server.registerTool(
    "list_pipelines",
    {
      title: "List pipelines",
      description:
        "Lists the pipelines Spire knows, each with its namespace, name, description, whether it is paused (and why), its triggers in plain words, its next scheduled fire time (ISO 8601) and its last run (id, state). Needs a token with the read scope.",
      inputSchema: { namespace: z.string().min(1).max(100).optional().describe("Only the pipelines of this namespace; default: all.") },
      annotations: { readOnlyHint: true },
    },
    ({ namespace }) => answer(async () => jsonResult({ pipelines: await (await clients()).listPipelines(namespace) })),
  );

  server.registerTool(
    "describe_pipeline",
    {
      title: "Describe a pipeline",
      description:
        "One pipeline in full: its summary (as list_pipelines gives it) and its normalised definition: the arguments start_run accepts (args, with types, defaults and allowed values), its tasks and how they depend on each other, triggers, concurrency and notifications. Read this before start_run to know the arguments. Needs the read scope.",
      inputSchema: { pipeline },
      annotations: { readOnlyHint: true },
    },
    (input) => answer(async () => jsonResult(await withPipeline(clients, input.pipeline, (client, namespace, name) => client.getPipeline(namespace, name)))),
  );

  server.registerTool(
    "pause_pipeline",
    {
      title: "Pause a pipeline",
      description:
        "Pauses a pipeline: its triggers (schedules, webhooks, file changes) start no new runs until it is resumed; runs under way go on, and start_run still works. Answers with the pipeline's summary. Needs a token with the run scope.",
      inputSchema: { pipeline, reason: z.string().min(1).max(500).optional().describe("Why: shown with the pause until it is resumed.") },
      annotations: { idempotentHint: true },
    },
    (input) =>
      answer(async () =>
        jsonResult(await withPipeline(clients, input.pipeline, (client, namespace, name) => client.setPaused(namespace, name, true, input.reason === undefined ? {} : { reason: input.reason }))),
      ),
  );

  server.registerTool(
    "resume_pipeline",
    {
      title: "Resume a pipeline",
      description: "Resumes a paused pipeline: its triggers start runs again. Answers with the pipeline's summary. Needs a token with the run scope.",
      inputSchema: { pipeline },
      annotations: { idempotentHint: true },
    },
    (input) => answer(async () => jsonResult(await withPipeline(clients, input.pipeline, (client, namespace, name) => client.setPaused(namespace, name, false)))),
  );
}
