/** The tool that reads the end of a task's log, bounded in lines and bytes. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { resolveRun } from "../cli/resolve.js";
import { RUN_REFERENCE, type McpContext } from "./context.js";
import { DEFAULT_MAX_BYTES, DEFAULT_TAIL_LINES, MAX_BYTES, MAX_TAIL_LINES, readLogTail } from "./log-tail.js";
import { textResult } from "./results.js";

export function registerLogTools(server: McpServer, { clients, answer }: McpContext): void {
  server.registerTool(
    "read_task_logs",
    {
      title: "Read a task's logs",
      description: `The last lines a task of a run printed (its last attempt unless attempt is given), stdout and stderr merged in the order they were printed (stderr lines marked [stderr]), or one stream. Bounded by lines and by bytes: older lines are left out first. Answers with a header line (which lines of how many) and then the lines. Needs the read scope.`,
      inputSchema: {
        run_id: z.string().min(1).max(40).describe(RUN_REFERENCE),
        task: z.string().min(1).max(500).describe('The task\'s path in the run, as get_run lists it in tasks[].path, e.g. "build", "checks/size" or "shards[2]".'),
        lines: z.number().int().min(1).max(MAX_TAIL_LINES).optional().describe(`How many of the last lines at most; default ${DEFAULT_TAIL_LINES}.`),
        max_bytes: z.number().int().min(100).max(MAX_BYTES).optional().describe(`How many bytes of lines at most; default ${DEFAULT_MAX_BYTES}.`),
        stream: z.enum(["stdout", "stderr"]).optional().describe("Only this stream; default both."),
        attempt: z.number().int().min(1).max(10_000).optional().describe("Which attempt (1 is the first); default the last."),
      },
      annotations: { readOnlyHint: true },
    },
    (input) =>
      answer(async () => {
        const client = await clients();
        const id = await resolveRun(client, input.run_id);
        return textResult(
          await readLogTail(client, id, input.task, {
            lines: input.lines ?? DEFAULT_TAIL_LINES,
            maxBytes: input.max_bytes ?? DEFAULT_MAX_BYTES,
            ...(input.stream !== undefined ? { stream: input.stream } : {}),
            ...(input.attempt !== undefined ? { attempt: input.attempt } : {}),
          }),
        );
      }),
  );
}
