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
import { readFileSync, rmSync } from "node:fs";
import { writePrivateFileSync } from "../../files/private.js";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import type pino from "pino";
import { leaveHungUpTerminal, processLogger } from "../process-logger.js";
import { HOST_NAME_PATTERN } from "../../api/guard.js";
import { parseDurationMs } from "../../definitions/units.js";
import { CliError, EXIT } from "../errors.js";
import { dataDir, ensureDataDir } from "../data-dir.js";
import { storeChoice } from "../store-choice.js";
import { ADDRESS_FILE } from "../connect.js";
import { startEngineServices } from "../engine-start.js";
import { parseRetentionFlags, type RetentionFlags } from "../retention-options.js";
import { parseResourceFlags, type ResourceFlags } from "../resource-options.js";
import { loadFilesOrFail } from "../context.js";
import { parseMaxTasks } from "../max-tasks-option.js";
import { certificateCovers, loadTlsFiles, type TlsFiles } from "../tls-files.js";
import type { DefinitionsFormat } from "../../definitions/compat/format.js";
import { planPrunnerApi } from "../prunner-option.js";

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
  /** Serve prunner's API here too (HOST:PORT, loopback unless --allow-remote). */
  prunner?: string;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * The address to listen on. Other machines may reach it only when the user
 * says so (--allow-remote, for a TLS proxy in front) or when the engine
 * serves https itself (`tls`): tokens and secrets must not cross a network
 * in clear, which is what this refusal is for.
 */
export function parseListen(listen: string, allowRemote: boolean, tls = false, flag = "--listen"): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen.trim());
  const port = match ? Number(match[2]) : NaN;
  const example = `For example: ${flag} 127.0.0.1:${flag === "--listen" ? 7431 : 9009}`;
  if (match && port > 65535) throw new CliError(`${flag} ${JSON.stringify(listen)}: the port ${port} is out of range (1 to 65535, or 0 for any free one)`, EXIT.usage, example);
  if (!match) throw new CliError(`${flag} ${JSON.stringify(listen)} is not HOST:PORT`, EXIT.usage, example);
  const host = match[1]!.replace(/^\[(.*)\]$/, "$1");
  if (!LOOPBACK.has(host) && !LOOPBACK.has(match[1]!) && !host.startsWith("127.") && !allowRemote && !tls) {
    throw new CliError(
      `refusing to listen on ${listen}: that is reachable from other machines, and plain http would carry tokens and secrets in clear`,
      EXIT.usage,
      flag === "--listen"
        ? "The API runs tasks on this machine. Serve https there (--tls-cert FILE --tls-key FILE); or pass --allow-remote when a TLS proxy in front does; or keep it on loopback and tunnel the port (ssh -L, Tailscale)."
        : "prunner's API runs tasks on this machine and is plain http: keep it on loopback (e.g. --prunner 127.0.0.1:9009) and tunnel the port, or pass --allow-remote when a TLS proxy in front serves it.",
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
  const definitions = options.file === undefined ? undefined : await loadFilesOrFail(options.file, options.format, { notDone: "The engine did not start.", allowHttpFile: options.allowHttpFile === true, ...(maxTasks === undefined ? {} : { maxTasks }) });
  const storeWanted = storeChoice(options);
  const leaderLeaseMs = parseDurationMs(options.leaderLease);
  if (leaderLeaseMs === undefined || leaderLeaseMs < 1000) throw new CliError(`--leader-lease ${JSON.stringify(options.leaderLease)} is not a duration of at least 1s`, EXIT.usage, "For example: --leader-lease 10s");
  const rescueAfterMs = parseDurationMs(options.rescueAfter);
  if (rescueAfterMs === undefined || rescueAfterMs < 3000) throw new CliError(`--rescue-after ${JSON.stringify(options.rescueAfter)} is not a duration of at least 3s`, EXIT.usage, "For example: --rescue-after 30s");
  const dir = dataDir(options.data);
  const prunnerListen = options.prunner === undefined ? undefined : parseListen(options.prunner, options.allowRemote === true, false, "--prunner");
  if (prunnerListen) ensureDataDir(dir);
  const prunner = prunnerListen && (await planPrunnerApi(options.prunner!, prunnerListen, dir));
  const logger = await processLogger();
  const running = await startEngineServices({
    dir,
    host,
    port,
    listenLabel: options.listen,
    allowedHosts,
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    parallelism,
    resources,
    retention,
    artifactLimitBytes,
    watchLeaseMs,
    workerLeaseMs,
    ...(maxTasks === undefined ? {} : { maxTasks }),
    store: storeWanted,
    leaderLeaseMs,
    rescueAfterMs,
    logger,
    ...(options.file && definitions ? { definitions: { file: options.file, loaded: definitions } } : {}),
    ...(prunner ? { prunner } : {}),
  });
  const addressFile = join(dir, ADDRESS_FILE);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    logger.info({ signal, grace_ms: graceMs }, "draining: no new runs; waiting for running ones");
    await running.stop(graceMs);
    removeAddressFile(addressFile);
    logger.info("engine stopped");
    if (signal === "SIGHUP") leaveHungUpTerminal();
    process.exit(EXIT.ok);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // Its terminal was closed (the README runs it in one): a clean stop too, not death on the spot with the supervisor left.
  process.on("SIGHUP", () => void stop("SIGHUP"));
  // Said only now that a signal stops it cleanly: whoever reads the address file may send one at once.
  // Whole or not there: a CLI reads it the moment it appears, and a file written in place could be read half written.
  writePrivateFileSync(addressFile, JSON.stringify({ url: running.url, pid: process.pid, started_at: new Date().toISOString() }) + "\n");
  logger.info({ url: running.url, data: dir, parallelism, cpus: resources.cpus, memory: resources.memoryBytes }, `engine listening on ${running.url}`);
  if (tls) warnAboutCertificate(tls, running.url, logger);
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
