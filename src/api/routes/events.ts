/**
 * A run's events as Server-Sent Events: stored events after Last-Event-ID
 * (replay), then live ones, then the end of the stream after `run.finished`.
 * The subscription is made before the replay is read, so an event stored in
 * between arrives live and is not lost; seq numbers drop the duplicates.
 */
import { SECURITY_HEADERS } from "../guard.js";
import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import type { EngineService, LiveEvent, LogFollowing, Subscription } from "../../engine/service.js";
import type { EventRow } from "../../store/port.js";
import { eventSeq, runId } from "../params.js";
import { route } from "../route.js";

const REPLAY_PAGE = 500;
/** A client this far behind is dropped; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const TERMINAL = new Set(["succeeded", "failed", "canceled", "skipped", "interrupted"]);

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
    const stream = new RunEventStream(deps.service, params.id, after, query.logs, deps.logger);
    const finished = await stream.prepare(); // throws not_found before anything is sent
    reply.hijack();
    stream.start(reply.raw, finished, deps.heartbeatMs, deps.streams);
    return reply;
  },
});

class RunEventStream {
  private live: LiveEvent[] | undefined = [];
  private subscription: Subscription | undefined;
  /** run.finished was seen: the stream ends once the log lines on disk have been sent. */
  private finishing = false;
  private res: ServerResponse | undefined;
  private ended = false;
  private cleanups: (() => void)[] = [];

  constructor(
    private readonly service: EngineService,
    private readonly runId: string,
    private lastSeq: number,
    private readonly logs: LogFollowing,
    private readonly logger: Logger,
  ) {}

  /** Subscribes, then looks the run up; true when it has already finished. */
  async prepare(): Promise<boolean> {
    this.subscription = this.service.subscribe(this.runId, (event) => (this.live ? this.live.push(event) : this.send(event)), { logs: this.logs });
    try {
      const run = await this.service.getRun(this.runId);
      return TERMINAL.has(run.state);
    } catch (error) {
      this.subscription();
      throw error;
    }
  }

  start(res: ServerResponse, finished: boolean, heartbeatMs: number, streams: Set<() => void>): void {
    this.res = res;
    // A hijacked reply skips the onSend hook: the security headers are set here.
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    const heartbeat = setInterval(() => this.write(": heartbeat\n\n"), heartbeatMs);
    const close = () => this.end();
    streams.add(close);
    this.cleanups.push(() => clearInterval(heartbeat), () => streams.delete(close), () => this.subscription?.());
    res.on("close", close);
    this.replay(finished).catch((error: unknown) => {
      this.logger.error({ err: error, run: this.runId }, "api: event replay failed");
      this.end();
    });
  }

  private async replay(finished: boolean): Promise<void> {
    for (;;) {
      const page: EventRow[] = await this.service.listEvents(this.runId, this.lastSeq, REPLAY_PAGE);
      for (const event of page) this.send({ kind: "event", event });
      if (page.length < REPLAY_PAGE || this.ended) break;
    }
    const buffered = this.live ?? [];
    this.live = undefined;
    for (const event of buffered) this.send(event);
    // A finished run has stored all its events: nothing more will come (run.finished, if it was sent, ends the stream itself).
    if (finished && !this.finishing) this.end();
  }

  private send(event: LiveEvent): void {
    if (this.ended) return;
    // Log lines and progress have no id: Last-Event-ID counts stored events only.
    if (event.kind === "log") {
      const { ts, stream, line } = event.line;
      this.write(`event: log\ndata: ${JSON.stringify({ task: event.task, attempt: event.attempt, ts, stream, line })}\n\n`);
      return;
    }
    if (event.kind === "progress") {
      this.write(`event: progress\ndata: ${JSON.stringify({ task: event.task, done: event.done, total: event.total })}\n\n`);
      return;
    }
    const row = event.event;
    if (row.seq <= this.lastSeq) return;
    this.lastSeq = row.seq;
    const frame = `id: ${row.seq}\nevent: ${row.type.replace(/[^\w.-]/g, "_")}\ndata: ${JSON.stringify(row)}\n\n`;
    if (row.type !== "run.finished") return this.write(frame);
    // The last lines of the last tasks are on disk but perhaps not sent yet: they come before the end.
    this.finishing = true;
    void (this.subscription?.caughtUp() ?? Promise.resolve()).then(() => {
      this.write(frame);
      this.end();
    });
  }

  private write(text: string): void {
    const res = this.res;
    if (!res || this.ended) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy();
      return;
    }
    res.write(text);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const cleanup of this.cleanups) cleanup();
    if (this.res && !this.res.writableEnded) this.res.end();
  }
}
