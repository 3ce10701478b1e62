/** The benches' HTTP client for the engine's API: one keep-alive agent, and the realtime moment each request's last byte left. */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Realtime ns just before the request's last byte was handed to the socket. */
  sentNs: bigint;
  /** Realtime ns when the whole answer had arrived. */
  doneNs: bigint;
}

export interface ApiClient {
  call(base: string, token: string, method: string, path: string, body?: unknown): Promise<Answer>;
  /** The answer's JSON; throws with the status and the start of the body unless the status is `expect`. */
  callJson<T>(base: string, token: string, method: string, path: string, body?: unknown, expect?: number): Promise<T>;
  destroy(): void;
}

/** `realtimeNs`: hrtime tied to the realtime clock (calibrateRealtime in bench/lib.ts). */
export function apiClient(realtimeNs: () => bigint, maxSockets = 4): ApiClient {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const call = (base: string, token: string, method: string, path: string, body?: unknown): Promise<Answer> => {
    const url = new URL(path, base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path: url.pathname + url.search,
          headers: { authorization: `Bearer ${token}`, ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), sentNs, doneNs: realtimeNs() }));
          res.on("error", (error) => reject(new Error(`${method} ${path}: ${error.message}`, { cause: error })));
        },
      );
      req.on("error", (error) => reject(new Error(`${method} ${path}: ${error.message}`, { cause: error })));
      const sentNs = realtimeNs();
      req.end(payload);
    });
  };
  return {
    call,
    async callJson<T>(base: string, token: string, method: string, path: string, body?: unknown, expect = 200): Promise<T> {
      const answer = await call(base, token, method, path, body);
      const text = answer.body.toString("utf8");
      if (answer.status !== expect) throw new Error(`${method} ${path}: ${answer.status} ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    },
    destroy: () => agent.destroy(),
  };
}
