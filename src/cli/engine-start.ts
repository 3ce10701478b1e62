/**
 * An engine put together and started: store, cluster (PostgreSQL), the
 * supervisor of its tasks, workers, notifications, the API server, the
 * definitions applied at start and the scheduler. `spire engine` runs it in
 * the foreground (signals, address file); `startEngine()` of the package
 * runs it inside an application. Both stop it the same way.
 */
import type { IncomingMessage } from "node:http";
import { join, relative } from "node:path";
import type pino from "pino";
import { Engine } from "../engine/engine.js";
import { Notifier } from "../notify/notifier.js";
import { SupervisorExecutor } from "../exec/supervisor/client.js";
import { startSocketSupervisor } from "../exec/supervisor/daemon.js";
import { loadOrCreateSecret, TokenAuthority } from "../api/auth.js";
import { startApiServer } from "../api/server.js";
import { WorkerHub } from "../workers/hub.js";
import { originOf, defaultNamespace } from "../definitions/namespace.js";
import { formatDefinitionErrors, type DefinitionError } from "../definitions/errors.js";
import type { RetentionLimits } from "../engine/runs/retention.js";
import type { ResourceCapacity } from "../engine/resources/reservations.js";
import { CliError, EXIT } from "./errors.js";
import { databaseFile, ensureDataDir } from "./data-dir.js";
import { openSqliteStore } from "../store/sqlite/index.js";
import type { StoreChoice } from "./store-choice.js";
import { engineIdOf } from "../cluster/engine-id.js";
import { retentionFileProblem, saveRetentionDefaults } from "./retention-options.js";
import { fileAndEngineWarnings } from "./definition-warnings.js";
import { displayName, type LoadedFile } from "./context.js";
import { startPrunnerApi, type PrunnerPlan } from "./prunner-option.js";
import { FreedMemoryAfterBursts } from "../native/freed-memory.js";

export interface EngineSettings {
  dir: string;
  host: string;
  port: number;
  /** How the address was given, for errors (`--listen` of the CLI). */
  listenLabel: string;
  allowedHosts: string[];
  tls?: { cert: string; key: string };
  parallelism: number;
  resources: ResourceCapacity;
  retention: RetentionLimits;
  artifactLimitBytes: number;
  watchLeaseMs: number;
  workerLeaseMs: number;
  maxTasks?: number;
  store: StoreChoice;
  leaderLeaseMs: number;
  rescueAfterMs: number;
  logger: pino.Logger;
  /** Definitions to apply once the address is ours, before the scheduler starts: a file, or a folder's (prunner's layout) files, each its own namespace. */
  definitions?: { file: string; loaded: LoadedFile[] };
  /** Serve prunner's API too (spire engine --prunner). */
  prunner?: PrunnerPlan;
}

export interface RunningEngine {
  engine: Engine;
  /** Where the API listens, such as http://127.0.0.1:7431. */
  url: string;
  /** The data folder's local admin token. */
  token: string;
  /** Drains (running runs get `graceMs` to finish), then closes everything it opened. */
  stop(graceMs: number): Promise<void>;
}

export async function startEngineServices(settings: EngineSettings): Promise<RunningEngine> {
  const { dir, logger, store: storeWanted } = settings;
  ensureDataDir(dir);
  // The engine's limits are its options; the file only keeps them for commands run without it. One it cannot read is replaced, and said.
  const unusable = retentionFileProblem(dir);
  if (unusable !== undefined) logger.warn({ file: join(dir, "retention.json") }, `replaced retention.json, which could not be used (${unusable}), with this engine's limits (its --keep-runs and --keep-days), which commands run without an engine apply`);
  saveRetentionDefaults(dir, settings.retention);
  // Made at the first start whatever the store: the same engine, should it later share PostgreSQL with others.
  const engineId = engineIdOf(dir);
  const store =
    storeWanted.kind === "postgres"
      ? (await import("../store/postgres/index.js")).openPostgresStore(storeWanted.url, { applicationName: `spire-engine ${engineId.slice(0, 8)}`, owner: engineId, ...(storeWanted.schema !== undefined ? { schema: storeWanted.schema } : {}) })
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
    await store.close().catch(() => undefined);
    // SQLite's say the file and what to do (a damaged or locked database, one a newer Spire wrote): printed as they are.
    if (storeWanted.kind === "sqlite") throw error;
    throw new CliError(`cannot use the PostgreSQL store at ${store.describe().location}: ${(error as Error).message}`, EXIT.unreachable, "Check that PostgreSQL runs and the URL's user may create tables in that database (or schema).");
  }
  const secret = await loadOrCreateSecret(dir);
  // Engines sharing PostgreSQL: one of them leads the scheduling at a time, and all sign with one secret.
  const cluster =
    storeWanted.kind === "postgres"
      ? await joinCluster(storeWanted, dir, engineId, secret, { leaseMs: settings.leaderLeaseMs, rescueAfterMs: settings.rescueAfterMs }, logger).catch(async (error) => {
          await store.close();
          throw error;
        })
      : undefined;
  const executor = await connectSupervisor(dir, logger);
  // The engine is made next: a worker cannot register before the API listens, so it is there when told.
  const workers = new WorkerHub({ dataDir: dir, leaseMs: settings.workerLeaseMs, note: (message, details) => logger.info(details, message), changed: (worker) => engine.announceWorker(worker) });
  const { parallelism, resources, retention, artifactLimitBytes, watchLeaseMs, maxTasks } = settings;
  const engine = new Engine({ store, executor, supervisor: executor, placement: workers, remoteWorkers: () => workers.info(), dataDir: dir, parallelism, resources, logger, retention, artifactLimitBytes, watchLeaseMs, ...(maxTasks === undefined ? {} : { maxTasks }), ...(cluster ? { leadership: cluster.leadership, definitionChanges: cluster.definitions, roster: cluster.roster, runRequests: cluster.runRequests, handOvers: cluster.handOvers, places: cluster.places, missedHints: cluster.missed, removedRuns: cluster.removedRuns } : {}) });
  const notifier = new Notifier({ store, dataDir: dir, logger });
  notifier.attach(engine);
  const recovered = await engine.recover();
  if (recovered.resumed || recovered.interrupted || recovered.requeued) logger.warn(recovered, "runs left over from the last engine");

  const auth = new TokenAuthority(store, secret);
  // Engines sharing a store: one local token each, named after the engine.
  const token = await auth.ensureLocalToken(dir, storeWanted.kind === "postgres" ? `local-${engineId.slice(0, 8)}` : undefined);
  let server;
  try {
    server = await startApiServer({ service: engine, auth, host: settings.host, port: settings.port, allowedHosts: settings.allowedHosts, logger, workers, ...(settings.tls ? { tls: settings.tls } : {}) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE" && code !== "EADDRNOTAVAIL" && code !== "EACCES") throw error;
    // A supervisor with tasks is left be (the engine that does start adopts them); an idle one is stopped.
    const running = (await executor.list()).some((attempt) => attempt.state === "running");
    if (running) await executor.disconnect();
    else await executor.shutdown("the engine could not start");
    await store.close();
    if (code !== "EADDRINUSE") throw new CliError(`cannot listen on ${settings.listenLabel} (${code})`, EXIT.usage, "Choose another address with --listen HOST:PORT.");
    const engineThere = await spireAnswersAt(settings.host, settings.port, settings.tls !== undefined);
    throw new CliError(
      engineThere ? `${settings.listenLabel} is already in use: a Spire engine listens there` : `${settings.listenLabel} is already in use by another program`,
      EXIT.usage,
      engineThere ? "That engine is running already (spire ls talks to it); to run a second one, give it its own --listen HOST:PORT and --data DIR." : "Choose another address with --listen HOST:PORT.",
    );
  }
  let prunnerServer: Awaited<ReturnType<typeof startPrunnerApi>> | undefined;
  // Starting and applying free most of what they take (parsing, compiling): given back at rest (freed-memory.ts).
  const freed = new FreedMemoryAfterBursts();
  const unsubscribeApplies = engine.subscribePipelines((event) => {
    if (event.kind === "changed" && event.action === "apply") freed.burst();
  });
  const stop = async (graceMs: number) => {
    unsubscribeApplies();
    freed.stop();
    await engine.drain(graceMs);
    await cluster?.close();
    await notifier.close();
    await server.close();
    await prunnerServer?.close();
    workers.close();
    await executor.shutdown();
    await store.close();
  };
  // Only once the addresses are ours: an engine that cannot listen has not started, so it applies nothing and fires nothing.
  try {
    if (settings.prunner) prunnerServer = await startPrunnerApi(settings.prunner, engine, logger);
    const { file: given, loaded: files } = settings.definitions ?? { file: "", loaded: [] };
    // A folder's files are named by their paths from here.
    for (const loaded of files) await applyAtStart(engine, files.length === 1 ? displayName(given) : relative(process.cwd(), loaded.path), loaded, logger);
  } catch (error) {
    await stop(0);
    throw error;
  }
  await engine.startScheduler();
  freed.burst();
  return { engine, url: server.url, token, stop };
}

/** Joins the engines on the same PostgreSQL; one whose secret is not theirs is told how to get it. */
async function joinCluster(store: { url: string; schema?: string }, dir: string, engineId: string, secret: Uint8Array, times: { leaseMs: number; rescueAfterMs: number }, logger: pino.Logger) {
  const { joinPostgresCluster, SecretMismatchError } = await import("../cluster/postgres-cluster.js");
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
    return saySpawner(executor, logger);
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
  return saySpawner(await SupervisorExecutor.connect(socketPath), logger);
}

/** Once per engine (or worker) start: a supervisor that starts tasks with Node's spawn says why (its own log says it too). */
function saySpawner(executor: SupervisorExecutor, logger: pino.Logger): SupervisorExecutor {
  const note = executor.spawner?.note;
  if (note !== undefined) logger.warn({ supervisor: executor.pid }, note);
  return executor;
}

async function applyAtStart(engine: Engine, file: string, definitions: LoadedFile, logger: pino.Logger): Promise<void> {
  const { path, text } = definitions;
  const origin = originOf(path);
  try {
    const { warnings, ...change } = await engine.apply(
      { name: "local", scope: "admin" },
      { text, fileName: file, defaultNamespace: defaultNamespace(origin.host, origin.user, path), prune: false, dryRun: false, origin },
    );
    logger.info(change, `applied ${file}`);
    // Those only the file's folder shows (a watched path not there yet) and the engine's, each once.
    for (const warning of fileAndEngineWarnings(definitions.warnings, warnings)) logger.warn(formatDefinitionErrors([warning]));
  } catch (error) {
    const details = (error as { details?: unknown }).details;
    const lines = Array.isArray(details) ? formatDefinitionErrors(details as DefinitionError[]) : "";
    throw new CliError(`${(error as Error).message}${lines ? `\n${lines}` : ""}`, EXIT.usage, "The engine did not start. Fix the file (spire validate -f FILE) and try again.");
  }
}

/**
 * Whether what holds the address is a Spire engine: its open health route answers with a Spire version.
 * Over https without checking the certificate: it is only a look (the certificate names the machine, not
 * the address looked at), and nothing is sent but the request.
 */
async function spireAnswersAt(host: string, port: number, tls: boolean): Promise<boolean> {
  const hostname = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
  const { get } = await import(tls ? "node:https" : "node:http");
  return new Promise((resolve) => {
    const request = get({ hostname, port, path: "/api/v1/health", timeout: 1500, rejectUnauthorized: false }, (answer: IncomingMessage) => {
      let text = "";
      answer.setEncoding("utf8").on("data", (chunk: string) => (text = (text + chunk).slice(0, 10_000)));
      answer.on("end", () => {
        try {
          const body = JSON.parse(text) as { status?: unknown; version?: unknown };
          resolve(typeof body.status === "string" && typeof body.version === "string");
        } catch {
          resolve(false);
        }
      });
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(false));
  });
}
