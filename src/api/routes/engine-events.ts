/**
 * The engine-wide event stream (SPEC §5 `GET /events`): every run's stored
 * events as they happen, and pipeline changes, for the web UI and anything
 * else that watches the whole engine. Resumable with Last-Event-ID; a
 * client too far behind is told to reload (`event: reset`) instead of being
 * sent the whole history.
 */
import { z } from "zod";
import type { EventRow } from "../../store/port.js";
import type { PipelineEvent } from "../../engine/event-bus.js";
import { toMissedObject } from "../../engine/triggers/missed-object.js";
import { eventSeq } from "../params.js";
import { route } from "../route.js";
import { SseResponse } from "../sse.js";

const REPLAY_PAGE = 500;
/** More stored events than this to catch up on: cheaper for the client to reload what it shows. */
const MAX_REPLAY = 5_000;

export const engineEventsRoute = route({
  method: "GET",
  path: "/events",
  scope: "read",
  tag: "events",
  summary:
    "Server-Sent Events of the whole engine (with engines sharing PostgreSQL, of all of them): each run's stored events as they are recorded (`id:` the event's seq, `event:` its type such as run.created — whose data names the namespace and pipeline —, task.started, task.finished, run.finished; data: the event row with run_id and ts in epoch ms); `event: pipelines` (no id; data: action — apply, pipeline.delete, pipeline.pause, pipeline.resume — and target) when definitions or paused states change; `event: missed` (no id; data: the missed slots) when a trigger's slots did not run; `event: workers` (no id; data: the worker as GET /workers shows it) when a worker registers, comes back or is lost; a heartbeat comment every 15 s. With Last-Event-ID (or `after`) the events stored since are sent first; when more than 5,000 are missing, `event: reset` says to reload instead. Without either, only what happens from now on.",
  headers: z.object({ "last-event-id": eventSeq.optional().meta({ description: "Resume after this event seq." }) }),
  query: z.strictObject({ after: eventSeq.optional().meta({ description: "Like Last-Event-ID, for clients that cannot set headers." }) }),
  responses: [{ status: 200, description: "An event stream.", contentType: "text/event-stream" }],
  async handler({ headers, query, reply, deps }) {
    const after = (headers["last-event-id"] as number | undefined) ?? query.after;
    let lastSeq = after ?? 0;
    // Live events are held until the stream is open and any replay read, then sent after it; seq numbers drop what both hold.
    let held: EventRow[] | undefined = [];
    let sse: SseResponse | undefined;
    const sendEvent = (row: EventRow) => {
      if (row.seq <= lastSeq) return;
      lastSeq = row.seq;
      sse!.event(row.type, row, row.seq);
    };
    const unsubscribe = deps.service.subscribe(null, (live) => {
      if (live.kind !== "event") return;
      if (held) held.push(live.event);
      else sendEvent(live.event);
    }, { logs: "none", everyEngine: true });
    const sendPipeline = (event: PipelineEvent) => {
      if (event.kind === "changed") sse!.event("pipelines", { action: event.action, target: event.target });
      else if (event.kind === "worker") sse!.event("workers", event.worker);
      else sse!.event("missed", toMissedObject(event.missed));
    };
    // Those that come while the stream opens are sent once it is open.
    const heldPipelines: PipelineEvent[] = [];
    const unsubscribePipelines = deps.service.subscribePipelines((event) => (sse ? sendPipeline(event) : heldPipelines.push(event)), { everyEngine: true });
    // With engines sharing a store, where "from now on" starts is read from it: the stream opens once that is known.
    await Promise.all([unsubscribe.caughtUp(), unsubscribePipelines.caughtUp()]);
    reply.hijack();
    sse = new SseResponse(reply.raw, deps.heartbeatMs, deps.streams);
    for (const event of heldPipelines) sendPipeline(event);
    sse.onEnd(() => {
      unsubscribe();
      unsubscribePipelines();
    });
    if (after === undefined) {
      const since = held;
      held = undefined;
      for (const row of since) sendEvent(row);
      return reply;
    }
    try {
      let replayed = 0;
      for (;;) {
        const page = await deps.service.listEventsSince(lastSeq, REPLAY_PAGE);
        if (sse.isEnded) return reply;
        if (replayed + page.length > MAX_REPLAY) {
          sse.event("reset", { reason: `more than ${MAX_REPLAY} events were missed: reload what you show` });
          const newest = held!.length > 0 ? held![0]!.seq - 1 : lastSeq;
          lastSeq = Math.max(lastSeq, newest);
          break;
        }
        for (const row of page) sendEvent(row);
        replayed += page.length;
        if (page.length < REPLAY_PAGE) break;
      }
    } catch (error) {
      deps.logger.error({ err: error }, "api: engine event replay failed");
      sse.end();
      return reply;
    }
    const buffered = held!;
    held = undefined;
    for (const row of buffered) sendEvent(row);
    return reply;
  },
});
