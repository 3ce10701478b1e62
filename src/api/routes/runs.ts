/** Run history, one run, cancel and retry, and a task's logs. */
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { listParam, logCursor, nameParam, runCursor, runId, taskPath, timeParam, wholeNumber } from "../params.js";
import { route } from "../route.js";
import { runObjectJson } from "../../engine/reads/run-cache.js";
import { runObject, runPage, runState } from "../schemas.js";

const runParams = z.strictObject({ id: runId });
const JSON_TYPE = "application/json; charset=utf-8";

const RUN_STATES = runState.options;
const isRunState = (value: string): value is (typeof RUN_STATES)[number] => (RUN_STATES as readonly string[]).includes(value);
const isTriggerKind = (value: string): value is string => /^[a-z][a-z_]{0,31}$/.test(value);

const listQuery = z
  .strictObject({
    namespace: nameParam("namespace").optional(),
    pipeline: nameParam("pipeline").optional(),
    status: listParam(isRunState, `run states among ${RUN_STATES.join(", ")}, comma-separated`)
      .optional()
      .meta({ description: "Runs in any of these states: one, or several comma-separated (failed,canceled) or repeated." }),
    trigger: listParam(isTriggerKind, "trigger kinds such as manual, cron, every, at, webhook, watch, after, retry, comma-separated")
      .optional()
      .meta({ description: "Runs started by any of these kinds of trigger: manual, cron, every, at, webhook, watch, after, retry; comma-separated or repeated." }),
    created_after: timeParam.optional().meta({ description: "Runs created at or after this time: epoch ms or ISO 8601." }),
    created_before: timeParam.optional().meta({ description: "Runs created before this time: epoch ms or ISO 8601." }),
    limit: wholeNumber(1, 1000).default(50),
    cursor: runCursor.optional().meta({ description: "next_cursor of the previous page (with the same filters)." }),
    id_prefix: z
      .string()
      .regex(/^[0-9a-z]{1,32}$/, { error: "expected the first characters of a run id (digits and lower-case letters)" })
      .optional()
      .meta({ description: "Only runs whose id starts with this, in id order (the other filters do not apply)." }),
  })
  .refine((query) => query.created_after === undefined || query.created_before === undefined || query.created_after < query.created_before, {
    path: ["created_before"],
    error: "is not after created_after: no run can match; give a created_before later than created_after",
  });

const list = route({
  method: "GET",
  path: "/runs",
  scope: "read",
  tag: "runs",
  summary: "Run history, newest first, with cursor paging; filtered by pipeline, states, trigger kinds and creation time.",
  query: listQuery,
  responses: [{ status: 200, description: "One page of runs.", schema: runPage }],
  async handler({ query, deps }) {
    const { status, id_prefix, trigger, created_after, created_before, ...rest } = query;
    return deps.service.listRuns({
      ...rest,
      ...(status !== undefined ? { states: status } : {}),
      ...(trigger !== undefined ? { triggerKinds: trigger } : {}),
      ...(created_after !== undefined ? { createdFrom: created_after } : {}),
      ...(created_before !== undefined ? { createdBefore: created_before } : {}),
      ...(id_prefix !== undefined ? { idPrefix: id_prefix } : {}),
    });
  },
});

const get = route({
  method: "GET",
  path: "/runs/{id}",
  scope: "read",
  tag: "runs",
  summary: "The run with its task runs.",
  params: runParams,
  responses: [{ status: 200, description: "The run.", schema: runObject }, { status: 404, description: "No such run." }],
  // A poller asks for the same run over and over: a cached one is answered at once.
  answerAtHand({ id }, deps) {
    const cached = id === undefined ? undefined : deps.service.cachedRun(id);
    return cached && { type: JSON_TYPE, body: runObjectJson(cached) };
  },
  async handler({ params, reply, deps }) {
    // The same bytes JSON.stringify would give, made once per run object (see run-cache.ts).
    reply.type(JSON_TYPE);
    return runObjectJson(await deps.service.getRun(params.id));
  },
});

/** A cancel through an engine that does not run the run: passed on to the one that does (engines sharing a store). */
const cancelAnswer = runObject.extend({
  request: z
    .object({
      engine: z.string().meta({ description: "The engine-id of the engine that runs it." }),
      taken: z.boolean().meta({ description: "It took the request: the run is stopping there. False: it has not answered yet (it is down or cut off), and cancels the run when it does." }),
    })
    .optional()
    .meta({ description: "Present when the run runs on another engine sharing the store, which was asked to cancel it." }),
}).meta({ id: "CancelAnswer", description: "The run, and, when another engine runs it, what that engine did with the request." });

const cancel = route({
  method: "POST",
  path: "/runs/{id}/cancel",
  scope: "run",
  tag: "runs",
  summary: "Cancel a queued or running run; through any engine: one that does not run it asks the one that does.",
  params: runParams,
  responses: [
    { status: 200, description: "The run, stopping (it is canceled once its tasks have stopped).", schema: cancelAnswer },
    { status: 202, description: "Asked the engine that runs it, which has not taken the request yet: it cancels the run when it does.", schema: cancelAnswer },
    { status: 404, description: "No such run." },
    { status: 409, description: "The run has ended: there is nothing to cancel." },
  ],
  async handler({ actor, params, reply, deps }) {
    const answer = await deps.service.cancelRun(actor!, params.id);
    if (answer.request?.taken === false) reply.code(202);
    return answer;
  },
});

const retry = route({
  method: "POST",
  path: "/runs/{id}/retry",
  scope: "run",
  tag: "runs",
  summary: "Re-run the failed tasks (or `from` and all below it), keeping those that passed.",
  params: runParams,
  body: z.strictObject({ from: taskPath.optional() }),
  responses: [
    { status: 200, description: "The run.", schema: runObject },
    { status: 404, description: "No such run or task." },
    { status: 409, description: "The run is still going." },
  ],
  async handler({ actor, params, body, deps }) {
    return deps.service.retryRun(actor!, params.id, { from: body.from });
  },
});

const LOGS_PATH = /^\/api\/v1\/runs\/([^/]+)\/tasks\/(.+)\/logs$/;

/**
 * The router cannot split `/runs/{id}/tasks/{task}/logs` when the task path
 * holds `/`, so the raw URL is split here and each part decoded exactly once
 * (a double-encoded `%252e` stays `%2e`, which no task path contains).
 */
function logParams(request: FastifyRequest): unknown {
  const path = request.raw.url?.split("?")[0] ?? "";
  const match = LOGS_PATH.exec(path);
  if (!match) throw new ApiError("not_found", `no route ${request.method} ${path}`);
  try {
    return { id: decodeURIComponent(match[1]!), task: decodeURIComponent(match[2]!) };
  } catch {
    throw new ApiError("bad_request", "the path is not valid percent-encoding", ["path: bad percent-encoding"]);
  }
}

const LINE_WINDOW = "A window by line number: with it the answer says the view's line count in Spire-Total-Lines and the index of its first line in Spire-First-Line; not with cursor or since.";

const logs = route({
  method: "GET",
  path: "/runs/{id}/tasks/{task}/logs",
  scope: "read",
  tag: "runs",
  summary:
    "A task's log lines as NDJSON `{ts, stream, line}` (ts in epoch ms); the next page's cursor is in Spire-Next-Cursor. With from_line or tail, any window of the log by line number, and its line count: both streams merged in order, or one (`stream`).",
  params: z.strictObject({ id: runId, task: taskPath.meta({ description: "The task path, such as checks/size or shards[2] (`/` may be sent as is)." }) }),
  rawParams: logParams,
  query: z.strictObject({
    stream: z.enum(["stdout", "stderr"]).optional().meta({ description: "Only this stream; default both, merged in the order they were printed." }),
    since: timeParam.optional().meta({ description: "Lines at or after this time: epoch ms or ISO 8601." }),
    attempt: wholeNumber(1, 10_000).optional().meta({ description: "Default: the last attempt." }),
    cursor: logCursor.optional().meta({ description: "Spire-Next-Cursor of the previous page." }),
    limit: wholeNumber(1, 10_000).optional().meta({ description: "Lines of the page at most; default 1000 (with tail: tail)." }),
    from_line: wholeNumber(0, Number.MAX_SAFE_INTEGER, "expected a line number: a whole number from 0 (the first line)")
      .optional()
      .meta({ description: `The lines from this one on (0-based, counted in the view: both streams, or \`stream\`); past the end, none. ${LINE_WINDOW}` }),
    tail: wholeNumber(1, 10_000, "expected how many of the last lines: a whole number from 1 to 10000")
      .optional()
      .meta({ description: `The last this many lines of the view (all of them when it has fewer): the end of the log. ${LINE_WINDOW}` }),
  }),
  responses: [
    {
      status: 200,
      description: "NDJSON lines.",
      contentType: "application/x-ndjson",
      headers: {
        "Spire-Next-Cursor": "Where the next page starts (pass it as cursor); absent when the page reached the end of the log.",
        "Spire-Total-Lines": "With from_line or tail: the lines the view had when the request was read (a live log may have more by the next request).",
        "Spire-First-Line": "With from_line or tail: the index in the view of the first line of this page (for tail: the total less the lines returned, or 0).",
      },
    },
    { status: 404, description: "No such run, task or attempt." },
  ],
  async handler({ params, query, reply, deps }) {
    const { from_line, ...rest } = query;
    const page = await deps.service.readLogs(params.id, params.task, { ...rest, ...(from_line !== undefined ? { fromLine: from_line } : {}) });
    if (page.next_cursor !== null) reply.header("spire-next-cursor", page.next_cursor);
    if (page.total_lines !== undefined) reply.header("spire-total-lines", String(page.total_lines));
    if (page.first_line !== undefined) reply.header("spire-first-line", String(page.first_line));
    reply.type("application/x-ndjson; charset=utf-8");
    return page.lines.map((line) => `${JSON.stringify({ ts: line.ts, stream: line.stream, line: line.line })}\n`).join("");
  },
});

export const runRoutes = [list, get, cancel, retry, logs];
