/**
 * A typed client of an engine's HTTP API, for applications and scripts:
 * `new SpireClient({ url, token })`. Its types are generated from the
 * OpenAPI document the engine serves (api-types/), so a call that the
 * engine would refuse for its shape does not compile. `request()` reaches
 * every route; the methods below are the common ones, with their answers
 * typed. An answer other than 2xx throws a SpireApiError with the engine's
 * error code and message.
 */
import type { components, operations, paths } from "./api-types/index.js";

export type { components, operations, paths } from "./api-types/index.js";

type Schemas = components["schemas"];
export type Run = Schemas["Run"];
export type RunState = Schemas["RunState"];
export type RunPage = Schemas["RunPage"];
export type ChangeSet = Ok<operations["postApply"]>;

type HttpMethod = "get" | "post" | "delete";
/** The paths that have `method`. */
export type PathOf<Method extends HttpMethod> = { [Path in keyof paths]: paths[Path] extends Record<Method, unknown> ? Path : never }[keyof paths];
type Operation<Method extends HttpMethod, Path extends PathOf<Method>> = paths[Path][Method & keyof paths[Path]];

type Parameters<Op> = Op extends { parameters: infer Given } ? Given : Record<never, never>;
type JsonBody<Op> = Op extends { requestBody?: { content: { "application/json": infer Body } } } ? Body : never;
type SuccessStatus = 200 | 201 | 202 | 204;
/** The JSON answer of a 2xx status (text answers, such as logs, come as a string). */
export type Ok<Op> = Op extends { responses: infer Answers }
  ? { [Status in keyof Answers]: Status extends SuccessStatus ? (Answers[Status] extends { content: infer Content } ? Content[keyof Content] : undefined) : never }[keyof Answers]
  : never;

export type RequestOptions<Op> = Parameters<Op> & ([JsonBody<Op>] extends [never] ? { body?: never } : { body?: JsonBody<Op> });

export interface SpireClientOptions {
  /** The engine's address, such as http://127.0.0.1:7431 (`/api/v1` is added). */
  url: string;
  /** A token from `spire token create` (its scope decides what the client may do). */
  token?: string;
  /** Another fetch (a test double, a proxy agent); default the global one. */
  fetch?: typeof fetch;
}

/** A log line, as the engine stores it: when it was read (epoch ms), from which stream, and the text. */
export interface LogLine {
  ts: number;
  stream: "stdout" | "stderr";
  line: string;
}

/** The engine said no: `status` is the HTTP status, `code` the engine's error code (not_found, invalid_args, …). */
export class SpireApiError extends Error {
  override readonly name = "SpireApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The problems one by one, when the engine lists them (bad arguments, definition errors). */
    readonly details: unknown,
  ) {
    super(message);
  }
}

const FINISHED: ReadonlySet<RunState> = new Set(["succeeded", "failed", "canceled", "skipped", "interrupted"]);

export class SpireClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: SpireClientOptions) {
    this.base = `${options.url.replace(/\/+$/, "")}/api/v1`;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Any route, typed by the OpenAPI document: `client.request("get", "/api/v1/runs/{id}", { path: { id } })`. */
  async request<Method extends HttpMethod, Path extends PathOf<Method>>(method: Method, path: Path, options?: RequestOptions<Operation<Method, Path>>): Promise<Ok<Operation<Method, Path>>> {
    const given = (options ?? {}) as { path?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };
    const filled = String(path).replace(/\{([a-z_]+)\}/g, (_whole, name: string) => encodeURIComponent(String(given.path?.[name] ?? "")));
    const url = new URL(`${this.base}${filled.replace(/^\/api\/v1/, "")}`);
    for (const [name, value] of Object.entries(given.query ?? {})) {
      for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) url.searchParams.append(name, String(one));
    }
    const headers: Record<string, string> = { accept: "application/json, application/x-ndjson" };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (given.body !== undefined) headers["content-type"] = "application/json";
    const response = await this.fetch(url, { method: method.toUpperCase(), headers, ...(given.body === undefined ? {} : { body: JSON.stringify(given.body) }) });
    const text = await response.text();
    if (!response.ok) throw apiError(response.status, text);
    const type = response.headers.get("content-type") ?? "";
    return (text === "" ? undefined : type.includes("application/json") ? JSON.parse(text) : text) as Ok<Operation<Method, Path>>;
  }

  /** The engine's health (no token needed). */
  health() {
    return this.request("get", "/api/v1/health");
  }

  /** Pipelines with their triggers, next fire time and last result. */
  listPipelines(query?: Parameters<operations["getPipelines"]>["query"]) {
    return this.request("get", "/api/v1/pipelines", { query });
  }

  /** One page of runs, newest first; pass `next_cursor` as `cursor` for the next. */
  listRuns(query?: Parameters<operations["getRuns"]>["query"]) {
    return this.request("get", "/api/v1/runs", { query });
  }

  getRun(id: string) {
    return this.request("get", "/api/v1/runs/{id}", { path: { id } });
  }

  /** Starts a run of `namespace/pipeline` with its arguments (checked against the pipeline's `args`). */
  startRun(namespace: string, pipeline: string, body: JsonBody<operations["postPipelinesByNsByNameRuns"]> = {}) {
    return this.request("post", "/api/v1/pipelines/{ns}/{name}/runs", { path: { ns: namespace, name: pipeline }, body });
  }

  /** Asks the engine to cancel a run; it is canceled once its tasks have stopped (see waitForRun). */
  cancelRun(id: string) {
    return this.request("post", "/api/v1/runs/{id}/cancel", { path: { id } });
  }

  /** Applies definitions (the text of a spire.yaml) and answers what changed. */
  apply(body: JsonBody<operations["postApply"]>) {
    return this.request("post", "/api/v1/apply", { body });
  }

  /** The log lines of a task (`build`, or `group/task`) of a run: by default its last attempt, both streams in order. */
  async logs(id: string, task: string, query?: Parameters<operations["getRunsByIdTasksByTaskLogs"]>["query"]): Promise<LogLine[]> {
    const text = await this.request("get", "/api/v1/runs/{id}/tasks/{task}/logs", { path: { id, task }, query });
    return (text ?? "")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as LogLine);
  }

  /**
   * The run once it has finished (succeeded, failed, canceled, skipped or
   * interrupted), asked every `pollMs` (default 250 ms); a SpireApiError
   * with code `timeout` after `timeoutMs` when given.
   */
  async waitForRun(id: string, options: { pollMs?: number; timeoutMs?: number } = {}): Promise<Run> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (;;) {
      const run = await this.getRun(id);
      if (FINISHED.has(run.state)) return run;
      if (Date.now() >= deadline) throw new SpireApiError(0, "timeout", `run ${id} has not finished after ${options.timeoutMs} ms (it is ${run.state})`, null);
      await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 250, Math.max(0, deadline - Date.now()))));
    }
  }
}

function apiError(status: number, text: string): SpireApiError {
  try {
    const { error } = JSON.parse(text) as Schemas["Error"];
    return new SpireApiError(status, error.code, error.message, error.details);
  } catch {
    return new SpireApiError(status, `http_${status}`, text.slice(0, 500) || `HTTP ${status}`, null);
  }
}
