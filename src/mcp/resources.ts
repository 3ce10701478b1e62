/**
 * Runs and task logs as MCP resources, for assistants that attach context
 * by URI: spire://runs/{id} is the run object as JSON, and
 * spire://runs/{id}/tasks/{task}/logs the end of a task's log as text.
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { McpContext } from "./context.js";
import { DEFAULT_MAX_BYTES, DEFAULT_TAIL_LINES, readLogTail } from "./log-tail.js";
import { describeFailure, type UnexpectedErrorLog } from "./results.js";

/** Runs offered when an assistant lists the resources: the newest ones. */
const LISTED_RUNS = 20;

export function registerResources(server: McpServer, { clients, log }: McpContext): void {
  server.registerResource(
    "run",
    new ResourceTemplate("spire://runs/{id}", {
      list: async () => {
        const { runs } = await read(log, async () => (await clients()).listRuns({ limit: LISTED_RUNS }));
        return { resources: runs.map((run) => ({ uri: `spire://runs/${run.id}`, name: `${run.namespace}/${run.pipeline} ${run.id} (${run.state})`, mimeType: "application/json" })) };
      },
    }),
    { title: "A run", description: "A run of a pipeline as JSON: its state, arguments, times and tasks.", mimeType: "application/json" },
    async (uri, variables) => {
      const run = await read(log, async () => (await clients()).getRun(variable(variables.id)));
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(run, null, 2) }] };
    },
  );

  server.registerResource(
    "task-logs",
    new ResourceTemplate("spire://runs/{id}/tasks/{+task}/logs", { list: undefined }),
    {
      title: "A task's logs",
      description: `The last ${DEFAULT_TAIL_LINES} lines (at most ${DEFAULT_MAX_BYTES} bytes) of a task's log in a run, stdout and stderr merged; the task is its path in the run (may contain /).`,
      mimeType: "text/plain",
    },
    async (uri, variables) => {
      const text = await read(log, async () => readLogTail(await clients(), variable(variables.id), variable(variables.task), { lines: DEFAULT_TAIL_LINES, maxBytes: DEFAULT_MAX_BYTES }));
      return { contents: [{ uri: uri.href, mimeType: "text/plain", text }] };
    },
  );
}

/** A template variable as given, percent-decoded (a task path may come encoded). */
function variable(value: string | string[] | undefined): string {
  const given = Array.isArray(value) ? value.join(",") : (value ?? "");
  try {
    return decodeURIComponent(given);
  } catch {
    throw new McpError(ErrorCode.InvalidParams, `${JSON.stringify(given)} is not valid percent-encoding`);
  }
}

/** A resource that cannot be read is a protocol error carrying the engine's message. */
async function read<T>(log: UnexpectedErrorLog, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof McpError) throw error;
    throw new McpError(ErrorCode.InvalidParams, describeFailure(error, log));
  }
}
