/**
 * Which Spire a command talks to, decided in one place: the engine named by
 * `--engine URL` or SPIRE_ENGINE (and nothing else: if it does not answer,
 * that is the answer); else the local engine its address file names, when it
 * answers; else an engine run in this process over the data folder. Every
 * command reads and changes state through the client this returns, so none
 * can read a local file while another command reaches an engine.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HttpClient, type EngineAddress } from "../client/http.js";
import { tlsProblemOf } from "../client/tls-problem.js";
import type { SpireClient } from "../client/port.js";
import type { ResourceCapacity } from "../engine/resources/reservations.js";
import { CliError, EXIT } from "./errors.js";
import { DataFileError } from "../files/data-file-error.js";
import { storeChoice } from "./store-choice.js";
import { pidExists } from "../exec/process-tree.js";
import { dataDir, databaseFile, ensureDataDir } from "./data-dir.js";
import { BUSY_PROCESS_KEPT_BYTES, keepFreedMemory } from "../native/freed-memory.js";

export const ADDRESS_FILE = "engine.json";
export const TOKEN_FILE = "token";

export interface Target {
  data?: string;
  engine?: string;
}

/** What an engine run in this process is given (a run's --parallelism, --cpus, --memory). */
export interface InProcessSettings {
  parallelism?: number;
  resources?: ResourceCapacity;
  maxTasks?: number;
}

export async function connect(target: Target, settings: InProcessSettings = {}): Promise<SpireClient> {
  const engine = await findEngine(target);
  if (engine) return new HttpClient(checkLocalToken(engine));
  return openInProcess(dataDir(target.data), settings);
}

/** An engine to talk to, and for the local engine the data folder's token file its token was read from (none with SPIRE_TOKEN). */
export type FoundEngine = EngineAddress & { tokenFile?: { path: string; pid?: number } };

/**
 * The address, unless its token was to come from the data folder's token
 * file and that holds none (gone, or damaged): the engine would refuse the
 * request without saying which file to look at, and no token can be made
 * without one (spire token create needs an admin token).
 */
export function checkLocalToken(engine: FoundEngine): EngineAddress {
  const { tokenFile, ...address } = engine;
  if (tokenFile === undefined || (address.token !== null && JWT_SHAPE.test(address.token))) return address;
  throw new CliError(
    address.token === null ? `the engine at ${address.url} answers, but its token file ${tokenFile.path} is not there` : `the engine's token file ${tokenFile.path} is damaged: it holds no token`,
    EXIT.unreachable,
    `The engine writes a new one as it starts: restart it${tokenFile.pid !== undefined ? ` (pid ${tokenFile.pid})` : ""}; or set SPIRE_TOKEN to a token it made.`,
  );
}

/** header.payload.signature, each base64url: what the engine writes to the token file. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * The engine to talk to over HTTP, or undefined when none is named and the
 * local one is not running. A named engine is returned whether it answers or
 * not: falling back to local state would answer for the wrong Spire.
 */
export async function findEngine(target: Target): Promise<FoundEngine | undefined> {
  const dir = dataDir(target.data);
  const local = localEngine(dir);
  const localToken = (): Pick<FoundEngine, "token" | "tokenFile"> => {
    if (process.env.SPIRE_TOKEN !== undefined) return { token: process.env.SPIRE_TOKEN };
    const path = join(dir, TOKEN_FILE);
    return { token: readOptional(path)?.trim() ?? null, tokenFile: { path, ...(local?.pid !== undefined ? { pid: local.pid } : {}) } };
  };
  const named = target.engine ?? process.env.SPIRE_ENGINE;
  if (named !== undefined && named !== "") {
    const url = parseEngineUrl(named);
    // The local admin token goes to the local engine only, however it is named; any other gets SPIRE_TOKEN or nothing.
    return { url, ...(local && sameEngine(url, local.url) ? localToken() : { token: process.env.SPIRE_TOKEN ?? null }) };
  }
  if (!local) return undefined;
  const address = { url: local.url, ...localToken() };
  return (await answers(address.url, local.pid)) ? address : undefined;
}

function parseEngineUrl(given: string): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new CliError(`the engine address ${JSON.stringify(given)} is not a URL`, EXIT.usage, "For example: --engine http://127.0.0.1:7431 (or SPIRE_ENGINE=http://127.0.0.1:7431)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`the engine address ${JSON.stringify(given)} is not http:// or https://`, EXIT.usage);
  return given.replace(/\/+$/, "");
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Two addresses of one engine: the same scheme and port, and the same host (loopback names count as one). */
function sameEngine(a: string, b: string): boolean {
  const [x, y] = [new URL(a), new URL(b)];
  const port = (url: URL) => url.port || (url.protocol === "https:" ? "443" : "80");
  const host = (url: URL) => (LOOPBACK.has(url.hostname) || url.hostname.startsWith("127.") ? "loopback" : url.hostname);
  return x.protocol === y.protocol && port(x) === port(y) && host(x) === host(y);
}

/** The address file the local engine writes when it starts listening (and removes when it stops). */
export function localEngine(dir: string): { url: string; pid?: number } | undefined {
  const text = readOptional(join(dir, ADDRESS_FILE));
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { url?: unknown; pid?: unknown };
    if (typeof parsed.url !== "string") return undefined;
    return { url: parsed.url, ...(typeof parsed.pid === "number" ? { pid: parsed.pid } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * Is the local engine answering? (health is the one open route) One whose
 * process is alive is given longer: on a busy machine it may be slow, and
 * taking it for absent would run the work in this process instead.
 */
async function answers(url: string, pid: number | undefined): Promise<boolean> {
  const timeoutMs = pid !== undefined && pidExists(pid) ? 15_000 : 1500;
  try {
    const response = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch (error) {
    // An engine whose certificate this process does not trust is there all the same: the command's first call says why it cannot talk to it.
    return tlsProblemOf(error, url) !== undefined;
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The engine in this process: loaded only when no engine runs (it brings the store, the executor and the notifier). */
async function openInProcess(dir: string, settings: InProcessSettings): Promise<SpireClient> {
  // A command without an engine works on the data folder's SQLite: with SPIRE_STORE naming PostgreSQL, that would be another history.
  if (storeChoice({}).kind === "postgres") {
    throw new CliError(
      "no engine answers, and SPIRE_STORE names a PostgreSQL store: commands work through an engine on it, not on the database directly",
      EXIT.unreachable,
      "Start one (spire engine), or point SPIRE_ENGINE at one that runs (with SPIRE_TOKEN).",
    );
  }
  const [{ InProcessClient }, { openSqliteStore }, { isDiskFull, SchemaTooNewError }, { loadRetentionDefaults }, { stderrLogger }] = await Promise.all([
    import("../client/in-process.js"),
    import("../store/sqlite/index.js"),
    import("../store/errors.js"),
    import("./retention-options.js"),
    import("./stderr-logger.js"),
  ]);
  // This process ends with its command: memory it frees is better kept for its next task than given back.
  keepFreedMemory(BUSY_PROCESS_KEPT_BYTES);
  ensureDataDir(dir);
  // Before the store is opened: a file that cannot be used stops the command (what it says to do is the user's).
  const retention = loadRetentionDefaults(dir);
  const store = openSqliteStore(databaseFile(dir), {
    // A run in this process waits for room to record its results; say so once, and once when it has it.
    onDiskSpace: (event) =>
      process.stderr.write(event.full ? `spire: ${event.error.message}: the run's results are recorded once there is room\n` : "spire: the disk has room again\n"),
  });
  try {
    await store.init();
  } catch (error) {
    await store.close().catch(() => undefined);
    // Said as they are: each names the file and what to do (a damaged or locked database, one a newer Spire wrote).
    if (isDiskFull(error) || error instanceof DataFileError || error instanceof SchemaTooNewError) throw error;
    throw new CliError(`cannot open the database in ${dir}: ${(error as Error).message}`, EXIT.runFailed);
  }
  return new InProcessClient({
    store,
    dataDir: dir,
    retention,
    logger: stderrLogger(),
    ...(settings.parallelism !== undefined ? { parallelism: settings.parallelism } : {}),
    ...(settings.resources ? { resources: settings.resources } : {}),
    ...(settings.maxTasks !== undefined ? { maxTasks: settings.maxTasks } : {}),
  });
}

/** Runs `use` with a client and closes it whatever happens (an in-process engine waits for its runs' notifications). */
export async function withClient<T>(target: Target, use: (client: SpireClient) => Promise<T>, settings: InProcessSettings = {}): Promise<T> {
  const client = await connect(target, settings);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
