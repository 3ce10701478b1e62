/**
 * An engine inside an application: `await startEngine({ definitions, data })`
 * starts what `spire engine` starts (the same code: cli/engine-start.ts) in
 * this process, and answers a handle with its address, a typed client and
 * stop(). The engine's modules are loaded here, on the first call: importing
 * the package for its types or its client costs nothing more.
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { LiveEvent } from "../client/port.js";
import type { SpireConfig } from "./config.js";
import { SpireClient } from "./client.js";

export interface StartEngineOptions {
  /** A definitions file (spire.yaml, spire.config.ts, …) applied at start, or the definitions themselves. */
  definitions?: string | SpireConfig;
  /** The data folder (SQLite store, logs, artifacts, the local token); made private (0700) if new. */
  data: string;
  /** PostgreSQL shared with other engines (postgres://USER@HOST/DB); default SQLite in `data`. */
  store?: string;
  /** HOST:PORT of the API; default 127.0.0.1:0, a free port on loopback (see `url`). Other machines only with `tls`. */
  listen?: string;
  /** Serve https: the certificate and key as PEM text. */
  tls?: { cert: string; key: string };
  /** Tasks at once; default the number of CPUs. */
  parallelism?: number;
  /** The engine's own log, as JSON lines on stderr; default "silent". */
  logLevel?: "debug" | "info" | "warn" | "error" | "silent";
}

export interface EmbeddedEngine {
  /** Where the API listens, such as http://127.0.0.1:41234. */
  url: string;
  /** The data folder's admin token (keep it private: it can do anything). */
  token: string;
  /** A client of this engine, with the admin token. */
  client: SpireClient;
  /** Every run's live events (state changes, task results); returns the function that stops listening. */
  onEvent(listener: (event: LiveEvent) => void): () => void;
  /** No new runs; running ones get `graceMs` (default 30 s) to finish; then everything is closed and the supervisor exits. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export type { LiveEvent };

export async function startEngine(options: StartEngineOptions): Promise<EmbeddedEngine> {
  const [{ startEngineServices }, { parseListen }, { parseRetentionFlags }, { parseResourceFlags }, { storeChoice }, pino] = await Promise.all([
    import("../cli/engine-start.js"),
    import("../cli/commands/engine.js"),
    import("../cli/retention-options.js"),
    import("../cli/resource-options.js"),
    import("../cli/store-choice.js"),
    import("pino"),
  ]);
  const listen = options.listen ?? "127.0.0.1:0";
  const { host, port } = parseListen(listen, false, options.tls !== undefined);
  const { retention, artifactLimitBytes } = parseRetentionFlags({});
  const dir = resolve(options.data);
  const parallelism = options.parallelism ?? availableParallelism();
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new Error(`parallelism must be a whole number ≥ 1, got ${parallelism}`);
  const definitions = options.definitions === undefined ? undefined : await readDefinitions(options.definitions, dir);
  const running = await startEngineServices({
    dir,
    host,
    port,
    listenLabel: listen,
    allowedHosts: [],
    ...(options.tls ? { tls: options.tls } : {}),
    parallelism,
    resources: parseResourceFlags({}),
    retention,
    artifactLimitBytes,
    watchLeaseMs: 30_000,
    workerLeaseMs: 30_000,
    store: storeChoice({ ...(options.store === undefined ? {} : { store: options.store }) }, {}),
    leaderLeaseMs: 10_000,
    rescueAfterMs: 30_000,
    logger: pino.default({ level: options.logLevel ?? "silent" }, pino.destination(2)),
    ...(definitions ? { definitions } : {}),
  });
  let stopped: Promise<void> | undefined;
  return {
    url: running.url,
    token: running.token,
    client: new SpireClient({ url: running.url, token: running.token }),
    onEvent: (listener) => {
      const subscription = running.engine.subscribe(null, listener);
      return () => subscription();
    },
    stop: (stopOptions = {}) => (stopped ??= running.stop(stopOptions.graceMs ?? 30_000)),
  };
}

/** A file is read as `spire validate` reads it; an object is checked the same way, its errors named by key path. */
async function readDefinitions(definitions: string | SpireConfig, dir: string) {
  const { loadFileOrFail } = await import("../cli/context.js");
  if (typeof definitions === "string") return { file: definitions, loaded: [await loadFileOrFail(definitions, undefined, { notDone: "The engine did not start.", givenAs: "path" })] };
  const [{ Document }, { parseDefinitions, formatDefinitionErrors }] = await Promise.all([import("yaml"), import("../definitions/load.js")]);
  const name = "definitions given to startEngine";
  const text = new Document(definitions).toString({ lineWidth: 0 });
  const parsed = parseDefinitions(text, name, { now: Date.now() });
  if (!parsed.ok) throw new Error(`the ${name} have ${parsed.errors.length} error(s):\n${formatDefinitionErrors(parsed.errors.map((error) => ({ ...error, line: 0 })))}`);
  // Its namespace, unless it names one, is made from this path, as a file's is from the file's.
  return { file: name, loaded: [{ file: parsed.file, path: resolve(dir, "definitions"), text, warnings: parsed.warnings }] };
}
