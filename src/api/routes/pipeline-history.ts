/** A pipeline's history grid (tasks × last runs) and its duration percentiles, in one request. */
import { z } from "zod";
import { runCursor, wholeNumber } from "../params.js";
import { route } from "../route.js";
import { runState, taskState } from "../schemas.js";
import { pipelineParams } from "./pipelines.js";

const isoTime = z.string().meta({ format: "date-time" });
const durationStats = z
  .object({ count: z.number().int().meta({ description: "How many durations the figures are of." }), p50: z.number().nullable(), p95: z.number().nullable() })
  .meta({ id: "DurationStats" });

const history = z
  .object({
    namespace: z.string(),
    pipeline: z.string(),
    tasks: z.array(z.string()).meta({ description: "The grid's rows (task paths): the current definition's tasks in plan order, then those only older runs had." }),
    runs: z
      .array(
        z.object({
          id: z.string(),
          state: runState,
          trigger: z.string().meta({ description: "The kind of trigger that started it: cron, every, at, manual, webhook, watch, after, retry, …" }),
          created_at: isoTime,
          started_at: isoTime.nullable(),
          finished_at: isoTime.nullable(),
          duration_ms: z.number().nullable(),
          tasks: z
            .array(
              z
                .tuple([taskState, z.number().nullable(), z.number().int(), z.number().int().nullable()])
                .nullable()
                .meta({ description: "[state, duration_ms, attempts, exit_code] of the task's last attempt; null where the run has no such task (it never got that far, or its definition had none)." }),
            )
            .meta({ description: "One cell per entry of `tasks`, in the same order." }),
        }),
      )
      .meta({ description: "The runs, newest first." }),
    durations: z
      .object({ run: durationStats, tasks: z.record(z.string(), durationStats).meta({ description: "By task path." }) })
      .meta({ description: "p50 and p95 (nearest rank), in ms, of the runs of this page that succeeded, and of each task's succeeded last attempts among this page's runs." }),
    next_cursor: z.string().nullable().meta({ description: "Pass as `before` for the runs before these; null at the oldest." }),
  })
  .meta({ id: "PipelineHistory" });

const historyRoute = route({
  method: "GET",
  path: "/pipelines/{ns}/{name}/history",
  scope: "read",
  tag: "pipelines",
  summary: "The pipeline's last runs, each with its tasks' states, durations, attempts and exit codes in a compact grid, and p50/p95 durations of the run and of each task: a history page in one request.",
  params: pipelineParams,
  query: z.strictObject({
    limit: wholeNumber(1, 100, "expected how many runs: a whole number from 1 to 100").default(50),
    before: runCursor.optional().meta({ description: "next_cursor of the previous page: the runs made before that one." }),
  }),
  responses: [{ status: 200, description: "The history.", schema: history }, { status: 404, description: "No such pipeline." }],
  async handler({ params, query, deps }) {
    return deps.service.pipelineHistory(params.ns, params.name, { limit: query.limit, ...(query.before !== undefined ? { before: query.before } : {}) });
  },
});

export const pipelineHistoryRoutes = [historyRoute];
