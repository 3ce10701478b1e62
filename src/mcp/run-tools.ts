/** Tools about runs: start one, list and read them, wait for one to end, cancel and retry. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import type { RunObject, SpireClient } from "../client/port.js";
import { runState } from "../api/schemas.js";
import { resolvePipeline, resolveRun } from "../cli/resolve.js";
import { PIPELINE_REFERENCE, RUN_REFERENCE, withPipeline, type McpContext } from "./context.js";
import { jsonResult } from "./results.js";

const RUN_STATES = runState.options;
const ENDED = new Set<string>(RUN_STATES.filter((state) => state !== "queued" && state !== "running"));
const MAX_WAIT_SECONDS = 120;
/** How often a waited-for run is read again: often enough for a short run, rarely enough for a long one. */
const POLL_MS = [100, 200, 400, 800, 1000] as const;

const runId = z.string().min(1).max(40).describe(RUN_REFERENCE);
const RUN_ANSWER =
  "Answers with the run object: id, namespace, pipeline, state (queued, running, succeeded, failed, canceled, skipped or interrupted), reason, args, times, and tasks (each with its path, state, attempts, exit_code, outputs and the first warnings and errors it printed).";

export function registerRunTools(server: McpServer, { clients, answer }: McpContext): void {
  server.registerTool(
    "start_run",
    {
      title: "Start a run",
      description: `Starts a run of a pipeline now, with arguments. The engine checks the arguments against the pipeline's args (describe_pipeline lists them) and refuses unknown or ill-typed ones. The run goes on in the background: follow it with get_run (wait_seconds waits for it to end) and read_task_logs. ${RUN_ANSWER} Needs a token with the run scope.`,
      inputSchema: {
        pipeline: z.string().min(1).max(300).describe(PIPELINE_REFERENCE),
        args: z
          .record(z.string().max(200), z.unknown())
          .optional()
          .describe('Run arguments by name, e.g. {"level": "best", "dry_run": true}: strings, numbers, booleans or lists, as the pipeline\'s args declare. Leave out arguments that have defaults.'),
        partition: z.string().min(1).max(200).optional().describe("The run's queue partition (only for pipelines whose queue has a partition_limit)."),
      },
    },
    (input) =>
      answer(async () =>
        jsonResult(
          await withPipeline(clients, input.pipeline, (client, namespace, name) =>
            client.startRun(namespace, name, { args: input.args ?? {}, ...(input.partition !== undefined ? { partition: input.partition } : {}) }),
          ),
        ),
      ),
  );

  server.registerTool(
    "get_run",
    {
      title: "Read a run",
      description: `Reads a run: its state and its tasks. With wait_seconds, waits up to that long for the run to end first (it answers as soon as the run has ended, or with the run as it is when the time is up). ${RUN_ANSWER} Needs the read scope.`,
      inputSchema: {
        run_id: runId,
        wait_seconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).optional().describe(`Wait up to this many seconds (at most ${MAX_WAIT_SECONDS}) for the run to end; default 0: answer at once.`),
      },
      annotations: { readOnlyHint: true },
    },
    (input, extra) =>
      answer(async () => {
        const client = await clients();
        const id = await resolveRun(client, input.run_id);
        return jsonResult(await waitForEnd(client, id, (input.wait_seconds ?? 0) * 1000, extra.signal));
      }),
  );

  server.registerTool(
    "list_runs",
    {
      title: "List runs",
      description:
        "Run history, newest first: each run's id, pipeline, state, trigger and times. Use it to find a run's id for get_run, read_task_logs, cancel_run or retry_run. Needs the read scope.",
      inputSchema: {
        pipeline: z.string().min(1).max(300).optional().describe(`Only this pipeline's runs. ${PIPELINE_REFERENCE}`),
        states: z.array(z.enum(RUN_STATES)).min(1).optional().describe("Only runs in one of these states."),
        limit: z.number().int().min(1).max(200).optional().describe("How many runs at most; default 20."),
      },
      annotations: { readOnlyHint: true },
    },
    (input) =>
      answer(async () => {
        const client = await clients();
        const pipeline = input.pipeline === undefined ? undefined : await resolvePipeline(client, input.pipeline);
        const page = await client.listRuns({
          limit: input.limit ?? 20,
          ...(pipeline ? { namespace: pipeline.namespace, pipeline: pipeline.name } : {}),
          ...(input.states ? { states: input.states } : {}),
        });
        return jsonResult({ runs: page.runs, more: page.next_cursor !== null });
      }),
  );

  server.registerTool(
    "cancel_run",
    {
      title: "Cancel a run",
      description: `Cancels a queued or running run: its tasks are stopped (SIGTERM, then SIGKILL after their grace time) and it ends as canceled. A run that has already ended is refused. ${RUN_ANSWER} Needs a token with the run scope.`,
      inputSchema: { run_id: runId },
      annotations: { destructiveHint: true },
    },
    (input) =>
      answer(async () => {
        const client = await clients();
        return jsonResult(await client.cancelRun(await resolveRun(client, input.run_id)));
      }),
  );

  server.registerTool(
    "retry_run",
    {
      title: "Retry a run",
      description: `Runs an ended run's failed tasks again (with from: that task and everything that depends on it), keeping the results of the tasks that passed; the run goes on under the same id. A run still going is refused. ${RUN_ANSWER} Needs a token with the run scope.`,
      inputSchema: {
        run_id: runId,
        from: z.string().min(1).max(500).optional().describe('A task path of the run (as in its tasks list, e.g. "build" or "checks/size") to run again with everything below it; default: the failed tasks.'),
      },
    },
    (input) =>
      answer(async () => {
        const client = await clients();
        return jsonResult(await client.retryRun(await resolveRun(client, input.run_id), input.from === undefined ? {} : { from: input.from }));
      }),
  );
}

/** The run once it has ended, or as it is after `waitMs` (or when the request is given up: the client left, the engine stops). */
async function waitForEnd(client: SpireClient, id: string, waitMs: number, signal: AbortSignal): Promise<RunObject> {
  const deadline = Date.now() + waitMs;
  for (let poll = 0; ; poll++) {
    const run = await client.getRun(id);
    const left = deadline - Date.now();
    if (ENDED.has(run.state) || left <= 0 || signal.aborted) return run;
    await delay(Math.min(left, POLL_MS[Math.min(poll, POLL_MS.length - 1)]!), undefined, { signal }).catch(() => undefined);
  }
}
