/**
 * The client of an engine over its HTTP API (`/api/v1`): one method per
 * route, the engine's error object turned back into the ServiceError it was
 * made from, and a run followed through its Server-Sent Events.
 */
import type { LogLine } from "../exec/port.js";
import { ServiceError, type ServiceErrorCode, type StartRunRequest } from "../engine/service.js";
import type { PipelineDef } from "../definitions/schema.js";
import type { EventRow } from "../store/port.js";
import {
  EngineUnreachable,
  type ApplyRequest,
  type AuditEntry,
  type ChangeSet,
  type ClientLocation,
  type FollowOptions,
  type HookInfo,
  type LiveEvent,
  type LogPage,
  type LogQuery,
  type MissedObject,
  type NamespaceInfo,
  type PipelineDetail,
  type PipelineSummary,
  type RunListQuery,
  type RunObject,
  type RunSummary,
  type SpireClient,
  type SweepReport,
  type TokenInfo,
  type WatchLease,
  type WorkerInfo,
} from "./port.js";
import { tlsProblemOf } from "./tls-problem.js";
import type { ForwardedRequest } from "../engine/sharing/run-requests.js";

export interface EngineAddress {
  /** The engine's base URL, without /api/v1. */
  url: string;
  token: string | null;
  /** How requests are sent (default the global fetch): the engine's own /mcp sends them into its routes in process. */
  fetch?: typeof fetch;
}

/** Reconnections of a run's event stream before giving up (each resumes where the last stopped). */
const FOLLOW_ATTEMPTS = 5;

const STATUS_CODES: Record<number, ServiceErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  422: "bad_request",
  503: "unavailable",
};

export class HttpClient implements SpireClient {
  readonly location: ClientLocation;

  constructor(readonly address: EngineAddress) {
    this.location = { kind: "engine", url: address.url };
  }

  apply(request: ApplyRequest): Promise<ChangeSet> {
    return this.call("POST", "/apply", {
      text: request.text,
      ...(request.fileName !== undefined ? { file_name: request.fileName } : {}),
      ...(request.namespace !== undefined ? { namespace: request.namespace } : {}),
      ...(request.defaultNamespace !== undefined ? { default_namespace: request.defaultNamespace } : {}),
      prune: request.prune,
      dry_run: request.dryRun,
      ...(request.origin !== undefined ? { origin: request.origin } : {}),
    });
  }

  async listPipelines(namespace?: string): Promise<PipelineSummary[]> {
    return (await this.call<{ pipelines: PipelineSummary[] }>("GET", `/pipelines${query({ namespace })}`)).pipelines;
  }

  getPipeline(namespace: string, name: string, options: { next?: number } = {}): Promise<PipelineDetail> {
    return this.call("GET", `${pipelinePath(namespace, name)}${query({ next: options.next })}`);
  }

  async deletePipeline(namespace: string, name: string): Promise<void> {
    await this.call("DELETE", pipelinePath(namespace, name));
  }

  setPaused(namespace: string, name: string, paused: boolean, options: { reason?: string } = {}): Promise<PipelineSummary> {
    return this.call("POST", `${pipelinePath(namespace, name)}/${paused ? "pause" : "resume"}`, paused && options.reason !== undefined ? { reason: options.reason } : undefined);
  }

  renewWatchLease(namespace: string, name: string, holder?: string): Promise<WatchLease> {
    return this.call("POST", `${pipelinePath(namespace, name)}/lease`, holder !== undefined ? { holder } : undefined);
  }

  /** A one-time link into the web UI (`spire ui`): only an engine serves the UI, so only this client has it. */
  createLoginLink(): Promise<{ path: string; expires_at: string }> {
    return this.call("POST", "/ui/login-link");
  }

  getHook(namespace: string, name: string): Promise<HookInfo> {
    return this.call("GET", `${pipelinePath(namespace, name)}/hook`);
  }

  rotateHook(namespace: string, name: string): Promise<HookInfo> {
    return this.call("POST", `${pipelinePath(namespace, name)}/hook/rotate`);
  }

  async listMissed(namespace: string, name: string, request: { limit: number; run?: string }): Promise<MissedObject[]> {
    return (await this.call<{ missed: MissedObject[] }>("GET", `${pipelinePath(namespace, name)}/missed${query({ limit: request.limit, run: request.run })}`)).missed;
  }

  startRun(namespace: string, name: string, request: StartRunRequest): Promise<RunObject> {
    return this.call("POST", `${pipelinePath(namespace, name)}/runs`, {
      args: request.args,
      ...(request.partition !== undefined ? { partition: request.partition } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.causedBy !== undefined ? { caused_by: request.causedBy } : {}),
    });
  }

  listRuns(request: RunListQuery): Promise<{ runs: RunSummary[]; next_cursor: string | null }> {
    const { state, states, idPrefix, triggerKinds, createdFrom, createdBefore, ...rest } = request;
    const status = [...(state !== undefined ? [state] : []), ...(states ?? [])];
    return this.call(
      "GET",
      `/runs${query({ ...rest, status: status.length > 0 ? status.join(",") : undefined, trigger: triggerKinds?.join(","), created_after: createdFrom, created_before: createdBefore, id_prefix: idPrefix })}`,
    );
  }

  getRun(id: string): Promise<RunObject> {
    return this.call("GET", `/runs/${encodeURIComponent(id)}`);
  }

  async getRunDefinition(id: string): Promise<PipelineDef> {
    return (await this.call<{ definition: PipelineDef }>("GET", `/runs/${encodeURIComponent(id)}/definition`)).definition;
  }

  cancelRun(id: string): Promise<RunObject & { request?: ForwardedRequest }> {
    return this.call("POST", `/runs/${encodeURIComponent(id)}/cancel`);
  }

  retryRun(id: string, request: { from?: string }): Promise<RunObject> {
    return this.call("POST", `/runs/${encodeURIComponent(id)}/retry`, request.from !== undefined ? { from: request.from } : {});
  }

  async readLogs(runId: string, task: string, request: LogQuery): Promise<LogPage> {
    const { stream, since, attempt, cursor, limit, fromLine, tail } = request;
    const response = await this.request(
      "GET",
      `/runs/${encodeURIComponent(runId)}/tasks/${task.split("/").map(encodeURIComponent).join("/")}/logs${query({ stream, since, attempt, cursor, limit, from_line: fromLine, tail })}`,
    );
    if (!response.ok) throw await refusal(response);
    const text = await response.text();
    const lines = text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as LogLine);
    // With tail or from_line, the window's place in the whole log.
    const total = response.headers.get("spire-total-lines");
    const first = response.headers.get("spire-first-line");
    return {
      lines,
      next_cursor: response.headers.get("spire-next-cursor"),
      ...(total !== null ? { total_lines: Number(total) } : {}),
      ...(first !== null ? { first_line: Number(first) } : {}),
    };
  }

  /** The run's SSE stream until run.finished, resumed with `after` if the connection drops (then only new log lines, so none comes twice). */
  async follow(runId: string, options: FollowOptions, onEvent: (event: LiveEvent) => void): Promise<void> {
    let lastSeq = 0;
    for (let attempt = 0; attempt < FOLLOW_ATTEMPTS; attempt++) {
      const logs = options.logs === "none" ? "none" : attempt === 0 ? options.logs : "new";
      let response: Response;
      try {
        response = await this.request("GET", `/runs/${encodeURIComponent(runId)}/events${query({ logs, after: lastSeq || undefined })}`);
      } catch (error) {
        if (attempt > 0 && error instanceof EngineUnreachable) continue;
        throw error;
      }
      if (!response.ok || !response.body) throw await refusal(response);
      try {
        for await (const frame of sseFrames(response.body)) {
          const event = liveEvent(runId, frame);
          if (!event) continue;
          if (event.kind === "event") lastSeq = event.event.seq;
          onEvent(event);
          if (event.kind === "event" && event.event.type === "run.finished") return;
        }
      } catch {
        // The connection dropped mid-stream: resume after the last stored event.
      }
    }
  }

  collectGarbage(options: { dryRun: boolean }): Promise<SweepReport> {
    return this.call("POST", "/gc", { dry_run: options.dryRun });
  }

  async listNamespaces(): Promise<NamespaceInfo[]> {
    return (await this.call<{ namespaces: NamespaceInfo[] }>("GET", "/namespaces")).namespaces;
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    return (await this.call<{ workers: WorkerInfo[] }>("GET", "/workers")).workers;
  }

  async listAudit(request: { limit: number }): Promise<AuditEntry[]> {
    return (await this.call<{ entries: AuditEntry[] }>("GET", `/audit${query({ limit: request.limit })}`)).entries;
  }

  createToken(request: { name: string; scope: TokenInfo["scope"]; ttlMs?: number }): Promise<{ token: string; info: TokenInfo }> {
    return this.call("POST", "/tokens", { name: request.name, scope: request.scope, ...(request.ttlMs !== undefined ? { ttl: `${Math.max(1, Math.round(request.ttlMs / 1000))}s` } : {}) });
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (await this.call<{ tokens: TokenInfo[] }>("GET", "/tokens")).tokens;
  }

  async revokeToken(id: string): Promise<void> {
    await this.call("DELETE", `/tokens/${encodeURIComponent(id)}`);
  }

  async close(): Promise<void> {}

  /** One API call; any answer but 2xx becomes the ServiceError the engine described. */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    if (!response.ok) throw await refusal(response);
    const text = await response.text();
    // 204 No Content (a revoke, a delete) has no body to read.
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.address.token) headers.authorization = `Bearer ${this.address.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      return await (this.address.fetch ?? fetch)(`${this.address.url}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (error) {
      throw new EngineUnreachable(this.address.url, tlsProblemOf(error, this.address.url));
    }
  }
}

/** The engine's `{ error: { code, message, details } }` as a ServiceError; a body that is not one is described by its status. */
async function refusal(response: Response): Promise<ServiceError> {
  let body: { error?: { code?: unknown; message?: unknown; details?: unknown } } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON: the status says enough
  }
  const code = typeof body.error?.code === "string" ? body.error.code : (STATUS_CODES[response.status] ?? (response.status >= 500 ? "internal" : "bad_request"));
  const message = typeof body.error?.message === "string" ? body.error.message : `${response.status} ${response.statusText}`;
  return new ServiceError(code as ServiceErrorCode, message, body.error?.details ?? null);
}

function pipelinePath(namespace: string, name: string): string {
  return `/pipelines/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** `?a=1&b=x` from the values that are set. */
function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

interface Frame {
  event: string;
  data: string;
}

async function* sseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<Frame> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame) yield frame;
    }
  }
}

function parseFrame(text: string): Frame | undefined {
  let event = "message";
  const data: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length ? { event, data: data.join("\n") } : undefined;
}

/** An SSE frame as the live event the engine published. */
function liveEvent(runId: string, frame: Frame): LiveEvent | undefined {
  const data = JSON.parse(frame.data) as Record<string, unknown>;
  if (frame.event === "log") {
    const { task, attempt, ts, stream, line } = data as unknown as { task: string; attempt: number } & LogLine;
    return { kind: "log", run_id: runId, task, attempt, line: { ts, stream, line } };
  }
  if (frame.event === "progress") {
    const { task, done, total } = data as unknown as { task: string; done: number; total: number };
    return { kind: "progress", run_id: runId, task, done, total };
  }
  if (typeof data.seq !== "number") return undefined;
  return { kind: "event", event: data as unknown as EventRow };
}
