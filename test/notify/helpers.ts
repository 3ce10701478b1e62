/** A real HTTP listener for webhooks, and waits on what the engine records. */
import type { TestContext } from "node:test";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import assert from "node:assert/strict";
import type { Api } from "../api/harness.js";
import type { RunObject } from "../../src/engine/reads/run-object.js";
import type { EventRow } from "../../src/store/port.js";

export interface Received {
  headers: IncomingHttpHeaders;
  body: { event: string; text: string; run: RunObject | null; missed?: Record<string, unknown> };
}

export interface Listener {
  url: string;
  received: Received[];
}

/** Answers the n-th request (from 0) with `status(n)` and `answer(n)`; keeps every request's headers and JSON body. */
export async function listen(t: TestContext, status: (n: number) => number = () => 200, answer: (n: number) => string = (n) => `answer ${n}`): Promise<Listener> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let text = "";
    request.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    request.on("end", () => {
      const n = received.length;
      received.push({ headers: request.headers, body: JSON.parse(text) as Received["body"] });
      response.writeHead(status(n), { "content-type": "text/plain" }).end(answer(n));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // fetch keeps idle connections open for reuse: they would hold the close for seconds.
    server.closeAllConnections();
    return closed;
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** A port that was free a moment ago: connections to it are refused. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a run of test/NAME and waits until it has ended. */
export async function runToEnd(api: Api, pipeline: string, args: Record<string, unknown> = {}): Promise<RunObject> {
  const response = await api.call("POST", `/pipelines/test/${pipeline}/runs`, { as: "run", body: { args } });
  assert.equal(response.status, 201, await response.clone().text());
  const { id } = (await response.json()) as RunObject;
  return ended(api, id);
}

export async function ended(api: Api, id: string): Promise<RunObject> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = await api.engine.getRun(id);
    if (!["queued", "running"].includes(run.state)) return run;
    if (Date.now() > deadline) assert.fail(`run ${id} is still ${run.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the run's events hold `count` events of `type` (notify.delivered, notify.failed), and returns them. */
export async function recorded(api: Api, runId: string, type: string, count = 1): Promise<EventRow[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await api.store.listEvents(runId, 0, 1000)).filter((event) => event.type === type);
    if (found.length >= count) return found;
    if (Date.now() > deadline) assert.fail(`run ${runId} has ${found.length} ${type} events, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
