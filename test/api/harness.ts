/**
 * The real API server on 127.0.0.1 (random port) over the real engine, a real
 * SQLite store and the local executor, with one token per scope.
 */
import type { TestContext } from "node:test";
import { join } from "node:path";
import { request as httpRequest } from "node:http";
import pino from "pino";
import { Engine } from "../../src/engine/engine.js";
import { Notifier, type NotifyTuning } from "../../src/notify/notifier.js";
import type { EngineService, Scope } from "../../src/engine/service.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { loadOrCreateSecret, TokenAuthority } from "../../src/api/auth.js";
import { startApiServer, type ApiServer } from "../../src/api/server.js";
import type { StaticUi } from "../../src/api/static-ui.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/port.js";
import { makeTempDir } from "../helpers/tmp.js";

export interface Api {
  url: string;
  port: number;
  dir: string;
  store: Store;
  engine: Engine;
  notifier: Notifier;
  auth: TokenAuthority;
  server: ApiServer;
  tokens: Record<Scope, string>;
  /** fetch under /api/v1 with a token of the given scope (or a literal token). */
  call(method: string, path: string, options?: CallOptions): Promise<Response>;
  /** Applies definitions (YAML) as admin; fails the test when refused. */
  apply(yaml: string, namespace?: string): Promise<void>;
}

export interface CallOptions {
  as?: Scope | { token: string } | null;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export async function startApi(
  t: TestContext,
  options: { service?: (engine: Engine) => EngineService; heartbeatMs?: number; logger?: pino.Logger; notify?: Partial<NotifyTuning>; maxTasks?: number; ui?: StaticUi } = {},
): Promise<Api> {
  const { dir, remove } = makeTempDir("spire-api-");
  // One hook, in this order: the folder goes only once the engine that writes there has stopped.
  let stop = async (): Promise<void> => undefined;
  t.after(async () => {
    try {
      await stop();
    } finally {
      remove();
    }
  });
  const store = openSqliteStore(join(dir, "spire.db"));
  await store.init();
  const executor = new LocalExecutor();
  const engine = new Engine({ store, executor, dataDir: dir, parallelism: 4, ...(options.maxTasks === undefined ? {} : { maxTasks: options.maxTasks }) });
  const notifier = new Notifier({ store, dataDir: dir, tuning: options.notify ?? {}, ...(options.logger ? { logger: options.logger } : {}) });
  notifier.attach(engine);
  const auth = new TokenAuthority(store, await loadOrCreateSecret(dir));
  const server = await startApiServer({
    service: options.service ? options.service(engine) : engine,
    auth,
    host: "127.0.0.1",
    port: 0,
    logger: options.logger ?? pino({ level: "silent" }),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.ui ? { ui: options.ui } : {}),
  });
  stop = async () => {
    await server.close();
    await engine.drain(0);
    await notifier.close(1000);
    await executor.shutdown();
    await store.close();
  };
  const tokens = {
    read: (await auth.issue({ name: "reader", scope: "read" })).token,
    run: (await auth.issue({ name: "runner", scope: "run" })).token,
    admin: (await auth.issue({ name: "admin", scope: "admin" })).token,
    worker: (await auth.issue({ name: "worker", scope: "worker" })).token,
  };
  const api: Api = {
    url: server.url,
    port: server.port,
    dir,
    store,
    engine,
    notifier,
    auth,
    server,
    tokens,
    call: (method, path, callOptions = {}) => call(server.url, tokens, method, path, callOptions),
    async apply(yaml, namespace = "test") {
      const response = await api.call("POST", `/apply?ns=${namespace}`, { as: "admin", body: yaml, contentType: "text/yaml" });
      if (response.status !== 200) throw new Error(`apply: ${response.status} ${await response.text()}`);
    },
  };
  return api;
}

function call(url: string, tokens: Record<Scope, string>, method: string, path: string, options: CallOptions): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const as = options.as === undefined ? "admin" : options.as;
  if (as !== null) headers.authorization = `Bearer ${typeof as === "string" ? tokens[as] : as.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] = options.contentType ?? "application/json";
  }
  return fetch(`${url}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request with the path sent byte for byte (fetch would normalise `..` and
 * re-encode) and any Host header.
 */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, method, path, headers, setHost: headers.host === undefined }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

/** Asserts the error shape and returns the error object. */
export async function errorOf(response: Response | RawAnswer): Promise<{ code: string; message: string; details: unknown }> {
  const text = "text" in response && typeof response.text === "function" ? await (response as Response).text() : (response as RawAnswer).body;
  const parsed = JSON.parse(text) as { error?: { code: string; message: string; details: unknown } };
  if (!parsed.error || typeof parsed.error.code !== "string" || typeof parsed.error.message !== "string" || !("details" in parsed.error)) {
    throw new Error(`not an error object: ${text}`);
  }
  return parsed.error;
}

/** GET /runs/{id} once the run has finished (awaits its run.finished event). */
export async function finishedRun(api: Api, id: string): Promise<unknown> {
  const finished = new Promise<void>((resolve) => {
    const stop = api.engine.subscribe(id, (event) => {
      if (event.kind === "event" && event.event.type === "run.finished") {
        stop();
        resolve();
      }
    });
  });
  const current = (await (await api.call("GET", `/runs/${id}`)).json()) as { finished_at: string | null };
  if (current.finished_at === null) await finished;
  return (await (await api.call("GET", `/runs/${id}`)).json()) as unknown;
}

export const PIPELINES = `
pipelines:
  hello:
    args:
      who: { default: world }
      level: { enum: [fast, best] }
    tasks:
      greet:
        run: echo "hello $SPIRE_ARG_WHO"; echo "to stderr" >&2
      checks:
        group:
          size: { run: echo size-ok }
      shards:
        repeat: 2
        run: echo "shard $SPIRE_ARRAY_INDEX"
  needs-arg:
    args:
      level: { enum: [fast, best], required: true }
    tasks:
      one: { run: "true" }
`;
