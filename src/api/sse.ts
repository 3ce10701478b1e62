/**
 * One Server-Sent Events response: the headers (a hijacked reply skips the
 * server's onSend hook, so the security headers are set here), a heartbeat
 * comment so proxies and browsers keep the connection, and a limit on how
 * far a client may lag: one that far behind is dropped and resumes with
 * Last-Event-ID.
 */
import type { ServerResponse } from "node:http";
import { SECURITY_HEADERS } from "./guard.js";

const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class SseResponse {
  private ended = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    heartbeatMs: number,
    streams: Set<() => void>,
  ) {
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
    this.cleanups.push(() => clearInterval(heartbeat), () => streams.delete(close));
    res.on("close", close);
    // Gone already (the client left while the stream was being readied): its close came before this could hear it.
    if (res.destroyed) this.end();
  }

  /** Called once, when the stream ends for whatever reason (client gone, server closing, end()). */
  onEnd(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** One frame; `id` only for events a client may resume after. */
  event(type: string, data: unknown, id?: number): void {
    const name = type.replace(/[^\w.-]/g, "_");
    this.write(`${id === undefined ? "" : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  write(text: string): void {
    if (this.ended) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.res.destroy();
      return;
    }
    this.res.write(text);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const cleanup of this.cleanups) cleanup();
    if (!this.res.writableEnded) this.res.end();
  }
}
