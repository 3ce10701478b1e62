/**
 * Spire as a Model Context Protocol server: the tools and resources an
 * assistant uses to run and inspect pipelines. The same server is reached
 * over stdio (`spire mcp`) and over Streamable HTTP (the engine's /mcp); only
 * where its client comes from differs.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { VERSION } from "../version.js";
import type { ClientSource, McpContext } from "./context.js";
import { answerer, type UnexpectedErrorLog } from "./results.js";
import { registerDefinitionTools } from "./definition-tools.js";
import { registerLogTools } from "./log-tools.js";
import { registerPipelineTools } from "./pipeline-tools.js";
import { registerResources } from "./resources.js";
import { registerRunTools } from "./run-tools.js";
import { checkParamsFirst } from "./params-check.js";

const INSTRUCTIONS =
  "Spire runs pipelines (tasks with dependencies, on schedules or by hand). Find a pipeline with list_pipelines, read its arguments with describe_pipeline, start it with start_run, follow it with get_run (wait_seconds waits for the end) and read_task_logs. What a call may do depends on the token's scope: read sees, run also starts, cancels, retries, pauses and resumes.";

/** `log`: where an error Spire did not describe is told in full (the assistant gets only that there was one). */
export function createSpireMcpServer(clients: ClientSource, log: UnexpectedErrorLog): McpServer {
  const server = new McpServer({ name: "spire", version: VERSION }, { instructions: INSTRUCTIONS });
  const context: McpContext = { clients, answer: answerer(log), log };
  registerPipelineTools(server, context);
  registerRunTools(server, context);
  registerLogTools(server, context);
  registerDefinitionTools(server, context);
  registerResources(server, context);
  const connect = server.connect.bind(server);
  server.connect = async (transport) => {
    await connect(transport);
    checkParamsFirst(transport);
  };
  return server;
}
