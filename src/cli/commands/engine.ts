/**
 * `spire engine`: the long-running engine in the foreground — HTTP API,
 * executor, history — with structured logs. Tasks run in a supervisor
 * process on `<data>/supervisor.sock` (spawning stays fast however large
 * this heap grows), which outlives the engine: killed, even by SIGKILL, the
 * engine finds its tasks there at the next start (SPEC §6).
 * SIGTERM drains: no new runs, running ones get `--grace` to finish, then
 * their process groups are stopped and the supervisor told to exit. A second
 * SIGTERM exits at once, leaving the supervisor and the tasks running.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { availableParallelism } from "node:os";
import pino from "pino";
import pretty from "pino-pretty";
import { Engine } from "../../engine/engine.js";
import { Notifier } from "../../notify/notifier.js";
import { SupervisorExecutor } from "../../exec/supervisor/client.js";
import { startSocketSupervisor } from "../../exec/supervisor/daemon.js";
import { loadOrCreateSecret, TokenAuthority } from "../../api/auth.js";
import { startApiServer } from "../../api/server.js";
import { WorkerHub } from "../../workers/hub.js";
import { HOST_NAME_PATTERN } from "../../api/guard.js";
import { originOf, defaultNamespace } from "../../definitions/namespace.js";
import { parseDurationMs } from "../../definitions/units.js";
import { CliError, EXIT } from "../errors.js";
import { dataDir, databaseFile, ensureDataDir } from "../data-dir.js";
import { openSqliteStore } from "../../store/sqlite/index.js";
import { storeChoice } from "../store-choice.js";
import { engineIdOf } from "../../cluster/engine-id.js";
import { ADDRESS_FILE } from "../connect.js";
import { parseRetentionFlags, saveRetentionDefaults, type RetentionFlags } from "../retention-options.js";
import { parseResourceFlags, type ResourceFlags } from "../resource-options.js";
import { displayName, loadFileOrFail } from "../context.js";
import { formatDefinitionErrors, type DefinitionError } from "../../definitions/errors.js";
import { parseMaxTasks } from "../max-tasks-option.js";
import { certificateCovers, loadTlsFiles, type TlsFiles } from "../tls-files.js";
import type { DefinitionsFormat } from "../../definitions/compat/format.js";

export interface EngineOptions extends RetentionFlags, ResourceFlags {
  /** --allow-http-file: -f may be a plain http:// URL. */
  allowHttpFile?: boolean;
  file?: string;
  listen: string;
  data?: string;
  allowRemote?: boolean;
  /** More names clients may send in Host (and Origin): `--allow-host`, repeatable. */
  allowHost?: string[];
  grace: string;
  watchLease: string;
  workerLease: string;
  parallelism?: string;
  format?: DefinitionsFormat;
  maxTasks?: string;
  /** Serve https with this certificate and key (both or neither). */
  tlsCert?: string;
  tlsKey?: string;
  /** PostgreSQL, shared with other engines (else SQLite in the data folder); SPIRE_STORE when not given. */
  store?: string;
  allowInsecureStore?: boolean;
  leaderLease: string;
  rescueAfter: string;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * The address to listen on. Other machines may reach it only when the user
 * says so (--allow-remote, for a TLS proxy in front) or when the engine
 * serves https itself (`tls`): tokens and secrets must not cross a network
 * in clear, which is what this refusal is for.
 */
export function parseListen(listen: string, allowRemote: boolean, tls = false): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new CliError(`--listen ${JSON.stringify(listen)} is not HOST:PORT`, EXIT.usage, "For example: --listen 127.0.0.1:7431");
  const host = match[1]!.replace(/^\[(.*)\]$/, "$1");
  if (!LOOPBACK.has(host) && !LOOPBACK.has(match[1]!) && !host.startsWith("127.") && !allowRemote && !tls) {
    throw new CliError(
      `refusing to listen on ${listen}: that is reachable from other machines, and plain http would carry tokens and secrets in clear`,
      EXIT.usage,
      "The API runs tasks on this machine. Serve https there (--tls-cert FILE --tls-key FILE); or pass --allow-remote when a TLS proxy in front does; or keep it on loopback and tunnel the port (ssh -L, Tailscale).",
    );
  }
  return { host, port };
}

export function parseAllowedHosts(names: readonly string[]): string[] {
  for (const name of names) {
    if (!HOST_NAME_PATTERN.test(name)) {
      throw new CliError(
        `--allow-host ${JSON.stringify(name)} is not a host name`,
        EXIT.usage,
        "Give the name as a client sends it in the Host header, without scheme or path: --allow-host NAME or NAME:PORT (e.g. --allow-host localhost:8080).",
      );
    }
  }
  return [...names];
}

export async function engineCommand(options: EngineOptions): Promise<void> {
  const tls = loadTlsFiles(options);
  const { host, port } = parseListen(options.listen, options.allowRemote === true, tls !== undefined);
  const allowedHosts = parseAllowedHosts(options.allowHost ?? []);
  const graceMs = parseDurationMs(options.grace);
  if (graceMs === undefined) throw new CliError(`--grace ${JSON.stringify(options.grace)} is not a duration`, EXIT.usage, "For example: --grace 30s");
  const watchLeaseMs = parseDurationMs(options.watchLease);
  if (watchLeaseMs === undefined || watchLeaseMs < 1000) throw new CliError(`--watch-lease ${JSON.stringify(options.watchLease)} is not a duration of at least 1s`, EXIT.usage, "For example: --watch-lease 30s");
  const workerLeaseMs = parseDurationMs(options.workerLease);
  if (workerLeaseMs === undefined || workerLeaseMs < 1000) throw new CliError(`--worker-lease ${JSON.stringify(options.workerLease)} is not a duration of at least 1s`, EXIT.usage, "For example: --worker-lease 30s");
  const parallelism = options.parallelism === undefined ? availableParallelism() : Number(options.parallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new CliError(`--parallelism must be a whole number ≥ 1`, EXIT.usage);
  const { retention, artifactLimitBytes } = parseRetentionFlags(options);
  const resources = parseResourceFlags(options);
  const maxTasks = parseMaxTasks(options.maxTasks);
  // Read and checked like `spire validate` does, before anything starts.
  const definitions = options.file === undefined ? undefined : await loadFileOrFail(options.file, options.format, { notDone: "The engine did not start.", allowHttpFile: options.allowHttpFile === true, ...(maxTasks === undefined ? {} : { maxTasks }) });
  const dir = dataDir(options.data);
  ensureDataDir(dir);
  saveRetentionDefaults(dir, retention);
  // Made at the first start whatever the store: the same engine, should it later share PostgreSQL with others.
  const engineId = engineIdOf(dir);

  const storeWanted = storeChoice(options);
  const leaderLeaseMs = parseDurationMs(options.leaderLease);
  if (leaderLeaseMs === undefined || leaderLeaseMs < 1000) throw new CliError(`--leader-lease ${JSON.stringify(options.leaderLease)} is not a duration of at least 1s`, EXIT.usage, "For example: --leader-lease 10s");
  const rescueAfterMs = parseDurationMs(options.rescueAfter);
  if (rescueAfterMs === undefined || rescueAfterMs < 3000) throw new CliError(`--rescue-after ${JSON.stringify(options.rescueAfter)} is not a duration of at least 3s`, EXIT.usage, "For example: --rescue-after 30s");
  const logger = process.stderr.isTTY ? pino({ level: "info" }, pretty({ sync: true, colorize: true, ignore: "pid,hostname", destination: 2 })) : pino({ level: "info" }, pino.destination(2));
  const store =
    storeWanted.kind === "postgres"
      ? (await import("../../store/postgres/index.js")).openPostgresStore(storeWanted.url, { applicationName: `spire-engine ${engineId.slice(0, 8)}`, owner: engineId, ...(storeWanted.schema !== undefined ? { schema: storeWanted.schema } : {}) })
      : openSqliteStore(databaseFile(dir), {
          // Said once each way, however often the waiting writes are tried meanwhile.
          onDiskSpace: (event) =>
            event.full
              ? logger.error({ data: dir }, `${event.error.message}: results are kept in memory and recorded once there is room; new runs are refused meanwhile`)
              : logger.info({ data: dir, full_for_ms: event.fullForMs }, "the disk has room again: what waited is recorded"),
        });
  try {
    await store.init();
  } catch (error) {
    if (storeWanted.kind === "sqlite") throw error;
    await store.close().catch(() => undefined);
    throw new CliError(`cannot use the PostgreSQL store at ${store.describe().location}: ${(error as Error).message}`, EXIT.unreachable, "Check that PostgreSQL runs and the URL's user may create tables in that database (or schema).");
  }
  const secret = await loadOrCreateSecret(dir);
  // Engines sharing PostgreSQL: one of them leads the scheduling at a time, and all sign with one secret.
  const cluster = storeWanted.kind === "postgres" ? await joinCluster(storeWanted, dir, engineId, secret, { leaseMs: leaderLeaseMs, rescueAfterMs }, logger).catch(async (error) => {
    await store.close();
    throw error;
  }) : undefined;
  const executor = await connectSupervisor(dir, logger);
  // The engine is made next: a worker cannot register before the API listens, so it is there when told.
  const workers = new WorkerHub({ dataDir: dir, leaseMs: workerLeaseMs, note: (message, details) => logger.info(details, message), changed: (worker) => engine.announceWorker(worker) });
  const engine = new Engine({ store, executor, supervisor: executor, placement: workers, remoteWorkers: () => workers.info(), dataDir: dir, parallelism, resources, logger, retention, artifactLimitBytes, watchLeaseMs, ...(maxTasks === undefined ? {} : { maxTasks }), ...(cluster ? { leadership: cluster.leadership, definitionChanges: cluster.definitions, roster: cluster.roster, runRequests: cluster.runRequests } : {}) });
  const notifier = new Notifier({ store, dataDir: dir, logger });
  notifier.attach(engine);
  const recovered = await engine.recover();
  if (recovered.resumed || recovered.interrupted || recovered.requeued) logger.warn(recovered, "runs left over from the last engine");

  const auth = new TokenAuthority(store, secret);
  // Engines sharing a store: one local token each, named after the engine.
  await auth.ensureLocalToken(dir, storeWanted.kind === "postgres" ? `local-${engineId.slice(0, 8)}` : undefined);
  let server;
  try {
    server = await startApiServer({ service: engine, auth, host, port, allowedHosts, logger, workers, ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE" && code !== "EADDRNOTAVAIL" && code !== "EACCES") throw error;
    // A supervisor with tasks is left be (the engine that does start adopts them); an idle one is stopped.
    const running = (await executor.list()).some((attempt) => attempt.state === "running");
    if (running) await executor.disconnect();
    else await executor.shutdown("the engine could not start");
    await store.close();
    throw new CliError(
      code === "EADDRINUSE" ? `${options.listen} is already in use` : `cannot listen on ${options.listen} (${code})`,
      EXIT.usage,
      code === "EADDRINUSE" ? "Is another engine running? (spire ls talks to it.) Or choose another address with --listen HOST:PORT." : "Choose another address with --listen HOST:PORT.",
    );
  }
  // Only once the address is ours: an engine that cannot listen has not started, so it applies nothing and fires nothing.
  if (options.file && definitions) await applyAtStart(engine, displayName(options.file), definitions, logger);
  await engine.startScheduler();
  const addressFile = join(dir, ADDRESS_FILE);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    logger.info({ signal, grace_ms: graceMs }, "draining: no new runs; waiting for running ones");
    await engine.drain(graceMs);
    await cluster?.close();
    await notifier.close();
    await server.close();
    workers.close();
    await executor.shutdown();
    await store.close();
    removeAddressFile(addressFile);
    logger.info("engine stopped");
    process.exit(EXIT.ok);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // Said only now that a signal stops it cleanly: whoever reads the address file may send one at once.
  writeFileSync(addressFile, JSON.stringify({ url: server.url, pid: process.pid, started_at: new Date().toISOString() }) + "\n", { mode: 0o600 });
  chmodSync(addressFile, 0o600);
  logger.info({ url: server.url, data: dir, parallelism, cpus: resources.cpus, memory: resources.memoryBytes }, `engine listening on ${server.url}`);
  if (tls) warnAboutCertificate(tls, server.url, logger);
}

/** Joins the engines on the same PostgreSQL; one whose secret is not theirs is told how to get it. */
async function joinCluster(store: { url: string; schema?: string }, dir: string, engineId: string, secret: Uint8Array, times: { leaseMs: number; rescueAfterMs: number }, logger: pino.Logger) {
  const { joinPostgresCluster, SecretMismatchError } = await import("../../cluster/postgres-cluster.js");
  const secretFile = join(dir, "secret");
  try {
    return await joinPostgresCluster({ url: store.url, engineId, ...times, secret, secretFile, ...(store.schema !== undefined ? { schema: store.schema } : {}), onProblem: (message) => logger.warn({}, message) });
  } catch (error) {
    if (!(error instanceof SecretMismatchError)) throw error;
    throw new CliError(error.message, EXIT.usage, `Copy the secret file of an engine already on this database to ${secretFile} (mode 0600, e.g. with scp -p), then start this one again.`);
  }
}

/**
 * The supervisor of this data folder: the one still running from an earlier
 * engine (its tasks went on while no engine was up), else a new one.
 */
export async function connectSupervisor(dir: string, logger: pino.Logger): Promise<SupervisorExecutor> {
  const socketPath = join(dir, "supervisor.sock");
  try {
    const executor = await SupervisorExecutor.connect(socketPath);
    logger.info({ supervisor: executor.pid }, "reconnected to the running supervisor");
    return executor;
  } catch (error) {
    if (/another client is connected/.test((error as Error).message)) {
      throw new CliError(`another engine is using the supervisor at ${socketPath}`, EXIT.usage, "Only one engine may run per data folder: stop the other one (or give this one --data).");
    }
  }
  try {
    // Its default idle exit applies only with no engine connected and no task running: an engine that
    // never comes back does not leave it forever, and the reports it kept are on disk beside each log.
    await startSocketSupervisor({ socketPath, logFile: join(dir, "supervisor.log") });
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage, `The supervisor's own log: ${join(dir, "supervisor.log")}`);
  }
  return SupervisorExecutor.connect(socketPath);
}

async function applyAtStart(engine: Engine, file: string, definitions: Awaited<ReturnType<typeof loadFileOrFail>>, logger: pino.Logger): Promise<void> {
  const { path, text } = definitions;
  const origin = originOf(path);
  try {
    const { warnings, ...change } = await engine.apply(
      { name: "local", scope: "admin" },
      { text, fileName: file, defaultNamespace: defaultNamespace(origin.host, origin.user, path), prune: false, dryRun: false, origin },
    );
    logger.info(change, `applied ${file}`);
    // The engine's warnings and those only the file's folder shows (a watched path not there yet), each once.
    const said = new Set<string>();
    for (const warning of [...definitions.warnings, ...warnings]) {
      const key = `${warning.keyPath}\u0000${warning.message}`;
      if (!said.has(key)) logger.warn(formatDefinitionErrors([warning]));
      said.add(key);
    }
  } catch (error) {
    const details = (error as { details?: unknown }).details;
    const lines = Array.isArray(details) ? formatDefinitionErrors(details as DefinitionError[]) : "";
    throw new CliError(`${(error as Error).message}${lines ? `\n${lines}` : ""}`, EXIT.usage, "The engine did not start. Fix the file (spire validate -f FILE) and try again.");
  }
}

/** Said at start, when clients will refuse the certificate: it has expired, or it does not name the address the CLI here uses. */
function warnAboutCertificate(tls: TlsFiles, url: string, logger: pino.Logger): void {
  const { certificate } = tls;
  if (Date.parse(certificate.validTo) < Date.now()) logger.warn({ valid_to: certificate.validTo }, "the --tls-cert certificate has expired: clients will refuse it");
  const host = new URL(url).hostname;
  if (!certificateCovers(certificate, host)) {
    logger.warn(
      { url, names: certificate.subjectAltName ?? certificate.subject },
      `the --tls-cert certificate is not valid for ${host}, the address this machine's CLI uses (${ADDRESS_FILE}): it will refuse the certificate. Listen on a name the certificate has (--listen NAME:PORT), or point it at one (SPIRE_ENGINE=https://NAME:PORT)`,
    );
  }
}

function removeAddressFile(file: string): void {
  try {
    const current = JSON.parse(readFileSync(file, "utf8")) as { pid?: number };
    if (current.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}
