/**
 * The worker's side of the wire to its engine: registering, posting
 * reports, and reading the assignment stream (Server-Sent Events over a
 * fetch that stays open). Every call carries the worker's token; nothing
 * here retries: the agent decides what to do when the engine is away.
 */
import type { ArtifactChunkAnswer, Assignment, RegisterRequest, RegisterResponse, ReportsRequest, ReportsResponse } from "../workers/protocol.js";
import { tlsProblemOf, type TlsProblem } from "../client/tls-problem.js";

const POST_TIMEOUT_MS = 10_000;

export class EngineRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The engine's certificate cannot be trusted (or https met plain http): waiting does not fix that, the user does. */
export class EngineUntrusted extends Error {
  constructor(readonly problem: TlsProblem) {
    super(problem.message);
  }
}

export class EngineLink {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  register(request: RegisterRequest, signal?: AbortSignal): Promise<RegisterResponse> {
    return this.post("/api/v1/workers/register", request, signal) as Promise<RegisterResponse>;
  }

  reports(name: string, request: ReportsRequest, signal?: AbortSignal): Promise<ReportsResponse> {
    return this.post(`/api/v1/workers/${encodeURIComponent(name)}/reports`, request, signal) as Promise<ReportsResponse>;
  }

  uploadChunk(name: string, chunk: { session: string; attempt: string; name: string; offset: number; data: string; size: number }, signal?: AbortSignal): Promise<ArtifactChunkAnswer> {
    return this.post(`/api/v1/workers/${encodeURIComponent(name)}/artifacts`, chunk, signal) as Promise<ArtifactChunkAnswer>;
  }

  async inputs(name: string, session: string, attempt: string, signal?: AbortSignal): Promise<{ task: string; name: string; size: number }[]> {
    const query = new URLSearchParams({ session, attempt });
    const body = (await this.get(`/api/v1/workers/${encodeURIComponent(name)}/inputs?${query}`, signal).then((response) => response.json())) as { files: { task: string; name: string; size: number }[] };
    return body.files;
  }

  async inputFile(name: string, session: string, attempt: string, file: { task: string; name: string }, signal?: AbortSignal): Promise<Buffer> {
    const query = new URLSearchParams({ session, attempt, task: file.task, name: file.name });
    return Buffer.from(await (await this.get(`/api/v1/workers/${encodeURIComponent(name)}/inputs/file?${query}`, signal)).arrayBuffer());
  }

  private async get(path: string, signal?: AbortSignal): Promise<Response> {
    const response = await fetch(`${this.base}${path}`, { headers: { authorization: `Bearer ${this.token}` }, signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000) });
    if (!response.ok) throw await refusal(response);
    return response;
  }

  /**
   * Reads the assignment stream until it ends (the engine went away, or
   * `signal`); resolves then, rejects on a refusal. A stream silent for
   * `idleMs` (the engine sends a heartbeat more often) is taken as dead: a
   * cut link does not always end a connection.
   */
  async assignments(name: string, session: string, onAssignment: (assignment: Assignment) => void, signal: AbortSignal, idleMs: number): Promise<void> {
    const url = `${this.base}/api/v1/workers/${encodeURIComponent(name)}/assignments?session=${encodeURIComponent(session)}`;
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), idleMs);
    const both = AbortSignal.any([signal, idle.signal]);
    try {
      await this.readStream(url, onAssignment, both, () => {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(), idleMs);
      });
    } catch (error) {
      if (idle.signal.aborted && !signal.aborted) return;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async readStream(url: string, onAssignment: (assignment: Assignment) => void, signal: AbortSignal, alive: () => void): Promise<void> {
    const response = await this.fetch(url, { headers: { authorization: `Bearer ${this.token}`, accept: "text/event-stream" }, signal });
    if (!response.ok || !response.body) throw await refusal(response);
    const decoder = new TextDecoder();
    let buffer = "";
    let data = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        alive();
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          if (line.startsWith("data: ")) data += line.slice(6);
          else if (line === "" && data !== "") {
            const text = data;
            data = "";
            onAssignment(JSON.parse(text) as Assignment);
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
  }

  private async post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const response = await this.fetch(`${this.base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      // An answer that does not come within this is lost (a cut link): the next try sends it again.
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(POST_TIMEOUT_MS)]) : AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    if (!response.ok) throw await refusal(response);
    return response.json();
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      const problem = tlsProblemOf(error, this.base);
      throw problem ? new EngineUntrusted(problem) : error;
    }
  }
}

async function refusal(response: Response): Promise<EngineRefused> {
  let message = `the engine answered ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) message += `: ${body.error.message}`;
  } catch {
    // not our error shape
  }
  return new EngineRefused(response.status, message);
}
