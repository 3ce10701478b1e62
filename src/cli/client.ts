/**
 * How the CLI talks to an engine: where it is (`--engine URL`, SPIRE_ENGINE,
 * or the address file the local engine writes in the data folder), with
 * which token (SPIRE_TOKEN, or the local token file), and what its answers
 * mean for the person at the terminal (SPEC §4 exit codes).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CliError, EXIT } from "./errors.js";
import { dataDir } from "./data-dir.js";

export interface EngineTarget {
  url: string;
  token: string | null;
  /** The local engine's process, from its address file. */
  pid?: number;
}

export const ADDRESS_FILE = "engine.json";
export const TOKEN_FILE = "token";

export function findEngine(options: { data?: string; engine?: string }): EngineTarget | undefined {
  const dir = dataDir(options.data);
  const explicit = options.engine ?? process.env.SPIRE_ENGINE;
  // The local admin token goes only to the local engine (the one the address file names):
  // an engine named on the command line gets SPIRE_TOKEN or nothing.
  if (explicit) return { url: explicit.replace(/\/+$/, ""), token: process.env.SPIRE_TOKEN ?? null };
  const token = process.env.SPIRE_TOKEN ?? readOptional(join(dir, TOKEN_FILE))?.trim() ?? null;
  const address = readOptional(join(dir, ADDRESS_FILE));
  if (!address) return undefined;
  try {
    const parsed = JSON.parse(address) as { url?: unknown; pid?: unknown };
    if (typeof parsed.url !== "string") return undefined;
    return { url: parsed.url, token, ...(typeof parsed.pid === "number" ? { pid: parsed.pid } : {}) };
  } catch {
    return undefined;
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Is an engine answering there? (health is the one open route) A local
 * engine whose process is alive is given longer to answer: on a busy
 * machine it may be slow, and taking it for absent would run the work in
 * this process instead, or say no engine runs.
 */
export async function engineAnswers(target: EngineTarget, timeoutMs = target.pid !== undefined && processAlive(target.pid) ? 15_000 : 1500): Promise<boolean> {
  try {
    const response = await fetch(`${target.url}/api/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

export class EngineClient {
  constructor(readonly target: EngineTarget) {}

  /** One API call; any answer but 2xx becomes a CliError with the engine's message. */
  async call<T>(method: string, path: string, body?: unknown, options: { contentType?: string; raw?: boolean } = {}): Promise<T> {
    const response = await this.fetch(method, path, body, options.contentType);
    if (response.ok) {
      const text = await response.text();
      // 204 No Content (a revoke, a delete) has no body to read.
      return (options.raw ? text : text === "" ? undefined : JSON.parse(text)) as T;
    }
    throw await this.failure(response);
  }

  async fetch(method: string, path: string, body?: unknown, contentType?: string, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers["content-type"] = contentType ?? "application/json";
      payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    try {
      return await fetch(`${this.target.url}/api/v1${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}), ...(signal ? { signal } : {}) });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new CliError(`cannot reach the engine at ${this.target.url}`, EXIT.unreachable, "Is it running? Start one with: spire engine (or point SPIRE_ENGINE at it)");
    }
  }

  async failure(response: Response): Promise<CliError> {
    let body: ApiErrorBody = {};
    try {
      body = (await response.json()) as ApiErrorBody;
    } catch {
      // not JSON: the status says enough
    }
    const message = body.error?.message ?? `${response.status} ${response.statusText}`;
    if (response.status === 401) return new CliError(`the engine refused the token: ${message}`, EXIT.unreachable, "Set SPIRE_TOKEN to a valid token (spire token create), or run this as the user who runs the engine.");
    if (response.status === 403) return new CliError(`not allowed: ${message}`, EXIT.unreachable, "This token's scope is too small; create one with a larger --scope.");
    const details = formatDetails(body.error?.details);
    return new CliError(`${message}${details ? `\n${details}` : ""}`, response.status >= 500 ? EXIT.runFailed : EXIT.usage);
  }
}

function formatDetails(details: unknown): string {
  if (!Array.isArray(details)) return "";
  return details
    .map((item) => {
      if (typeof item === "string") return `  ${item}`;
      const error = item as { file?: string; line?: number; column?: number; keyPath?: string; message?: string; hint?: string };
      if (error.message === undefined) return `  ${JSON.stringify(item)}`;
      const where = error.file ? `${error.file}${error.line ? `:${error.line}:${error.column}` : ""}  ` : "";
      return `  ${where}${error.keyPath ? `${error.keyPath}: ` : ""}${error.message}${error.hint ? ` — ${error.hint}` : ""}`;
    })
    .join("\n");
}

/** The engine this command must use; a clear exit 3 when there is none. */
export async function requireEngine(options: { data?: string; engine?: string }): Promise<EngineClient> {
  const target = findEngine(options);
  if (!target) throw new CliError("no engine is running for this data folder", EXIT.unreachable, "Start one with: spire engine   (or set SPIRE_ENGINE=URL)");
  return new EngineClient(target);
}
