/**
 * A run's events as Server-Sent Events: stored events after Last-Event-ID
 * (replay), then live ones, then the end of the stream after `run.finished`
 * (see RunFollower).
 */
import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import { RunFollower } from "../../engine/reads/run-follower.js";
import type { LiveEvent } from "../../engine/service.js";
import { eventSeq, runId } from "../params.js";
import { route } from "../route.js";
import { SseResponse } from "../sse.js";

export const eventsRoute = route({
  method: "GET",
  path: "/runs/{id}/events",
  scope: "read",
  tag: "runs",
  summary:
    "Server-Sent Events of a run: each stored event (`id:` its seq, `event:` its type, data: the event row with ts in epoch ms), log lines as `event: log` (data: task, attempt, ts, stream, line), a running task's `::progress::` as `event: progress` (data: task, done, total; live only), a heartbeat comment every 15 s; resumable with Last-Event-ID; ends after run.finished.",
  params: z.strictObject({ id: runId }),
  headers: z.object({ "last-event-id": eventSeq.optional().meta({ description: "Resume after this event seq." }) }),
  query: z.strictObject({
    after: eventSeq.optional().meta({ description: "Like Last-Event-ID, for clients that cannot set headers." }),
    logs: z
      .enum(["all", "new", "none"])
      .default("all")
      .meta({ description: "Log lines: all of them from the start of each attempt (default), only those written from now on (a client that resumes and pages the rest from the logs route), or none." }),
  }),
  responses: [{ status: 200, description: "An event stream.", contentType: "text/event-stream" }, { status: 404, description: "No such run." }],
  async handler({ params, headers, query, reply, deps }) {
    const after = (headers["last-event-id"] as number | undefined) ?? query.after ?? 0;
    // Opening throws not_found before anything is sent.
    const follower = await RunFollower.open(deps.service, params.id, { after, logs: query.logs });
    reply.hijack();
    new RunEventStream(follower, params.id, deps.logger).start(reply.raw, deps.heartbeatMs, deps.streams);
    return reply;
  },
});

/** A run's follower written to a response as SSE frames. */
class RunEventStream {
  constructor(
    private readonly follower: RunFollower,
    private readonly runId: string,
    private readonly logger: Logger,
  ) {}

  start(res: ServerResponse, heartbeatMs: number, streams: Set<() => void>): void {
    const sse = new SseResponse(res, heartbeatMs, streams);
    sse.onEnd(() => this.follower.stop());
    this.follower.start((event) => send(sse, event)).then(
      () => sse.end(),
      (error: unknown) => {
        this.logger.error({ err: error, run: this.runId }, "api: event replay failed");
        sse.end();
      },
    );
  }
}

function send(sse: SseResponse, event: LiveEvent): void {
  // Log lines and progress have no id: Last-Event-ID counts stored events only.
  if (event.kind === "log") {
    const { ts, stream, line } = event.line;
    sse.event("log", { task: event.task, attempt: event.attempt, ts, stream, line });
    return;
  }
  if (event.kind === "progress") {
    sse.event("progress", { task: event.task, done: event.done, total: event.total });
    return;
  }
  sse.event(event.event.type, event.event, event.event.seq);
}
