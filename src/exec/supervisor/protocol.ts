/**
 * The supervisor's wire protocol: newline-delimited JSON, one message per
 * line, the same over stdio and over a Unix socket. Requests go from the
 * engine to the supervisor, events come back. Everything here is plain data,
 * so both sides share these types and nothing else.
 */
import type { AttemptReport, KnownAttempt, LaunchSpec, LogLine } from "../port.js";
import type { SpawnerKind } from "../spawner/port.js";

export type { FinishedAttempt, KnownAttempt, RunningAttempt } from "../port.js";

export type Request =
  | { type: "launch"; spec: LaunchSpec; lines?: boolean }
  | { type: "cancel"; id: string; reason: string }
  | { type: "list" }
  | { type: "ack"; id: string }
  /** With no client attached for this long, every running attempt is canceled (a worker's tasks must not outlive its lease). */
  | { type: "orphan_grace"; ms: number }
  | { type: "shutdown"; reason: string };

export type SupervisorEvent =
  /**
   * Sent first on every connection: who answers, and since when; how it
   * starts tasks, with a note when that is not the native spawner (older
   * supervisors send no spawner).
   */
  | { type: "hello"; pid: number; startedAt: number; spawner?: SpawnerKind; spawnerNote?: string }
  | { type: "started"; id: string; pid: number; startedAt: number }
  | { type: "progress"; id: string; done: number; total: number }
  | { type: "line"; id: string; line: LogLine }
  | { type: "done"; id: string; report: AttemptReport }
  | { type: "list"; attempts: KnownAttempt[] }
  /** A request that could not be carried out; `id` when it names an attempt. */
  | { type: "error"; message: string; id?: string };

/**
 * Splits a byte stream (decoded as UTF-8 by the caller) into lines: a chunk
 * may end mid-line or hold many lines. Only the unfinished tail is kept.
 */
export class LineSplitter {
  #partial = "";
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: string): void {
    let start = 0;
    for (let end = chunk.indexOf("\n"); end >= 0; end = chunk.indexOf("\n", start)) {
      const piece = chunk.slice(start, end);
      start = end + 1;
      const line = this.#partial === "" ? piece : this.#partial + piece;
      this.#partial = "";
      if (line !== "") this.#onLine(line);
    }
    if (start < chunk.length) this.#partial += chunk.slice(start);
  }
}

export function encode(message: Request | SupervisorEvent): string {
  return `${JSON.stringify(message)}\n`;
}

const isString = (value: unknown): value is string => typeof value === "string";
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isOptional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
const isNonNegative = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value >= 0;

/** Why a value is not a LaunchSpec, or undefined when it is one. The supervisor must survive any input. */
export function launchSpecProblem(spec: unknown): string | undefined {
  if (!isRecord(spec)) return "spec must be an object";
  if (!isString(spec.id) || spec.id === "") return "spec.id must be a non-empty string";
  if (!isStringArray(spec.argv)) return "spec.argv must be an array of strings";
  for (const field of ["cwd", "logFile", "outputFile"] as const) {
    if (!isString(spec[field]) || spec[field] === "") return `spec.${field} must be a non-empty string`;
  }
  if (!isRecord(spec.env) || !Object.values(spec.env).every(isString)) return "spec.env must map names to strings";
  if (!isNonNegative(spec.killGraceMs)) return "spec.killGraceMs must be a number ≥ 0";
  if (!isOptional(spec.timeoutMs, isNonNegative)) return "spec.timeoutMs must be a number ≥ 0";
  if (!isStringArray(spec.secrets)) return "spec.secrets must be an array of strings";
  if (!isOptional(spec.warnPattern, isString) || !isOptional(spec.errorPattern, isString)) return "spec.warnPattern and spec.errorPattern must be strings";
  if (!isOptional(spec.parser, isString)) return "spec.parser must be a string";
  const { limits } = spec;
  if (!isOptional(limits, (value) => isRecord(value) && isOptional(value.memoryBytes, isNonNegative) && isOptional(value.cpuTimeMs, isNonNegative))) {
    return "spec.limits must be { memoryBytes?, cpuTimeMs? } with numbers ≥ 0";
  }
  return undefined;
}

/** Parses one line into a request, or says what is wrong with it (prefixed, so a log reader knows where it came from). */
export function parseRequest(line: string): Request | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { problem: `malformed JSON: ${(error as Error).message}` };
  }
  if (!isRecord(value)) return { problem: "a request must be a JSON object" };
  switch (value.type) {
    case "launch": {
      const problem = launchSpecProblem(value.spec);
      return problem !== undefined ? { problem: `launch: ${problem}` } : { type: "launch", spec: value.spec as unknown as LaunchSpec, lines: value.lines === true };
    }
    case "cancel":
      if (!isString(value.id)) return { problem: "cancel: id must be a string" };
      return { type: "cancel", id: value.id, reason: isString(value.reason) ? value.reason : "canceled" };
    case "ack":
      return isString(value.id) ? { type: "ack", id: value.id } : { problem: "ack: id must be a string" };
    case "list":
      return { type: "list" };
    case "orphan_grace":
      return typeof value.ms === "number" && Number.isFinite(value.ms) && value.ms > 0 ? { type: "orphan_grace", ms: value.ms } : { problem: "orphan_grace: ms must be a number > 0" };
    case "shutdown":
      return { type: "shutdown", reason: isString(value.reason) ? value.reason : "canceled: supervisor shut down" };
    default:
      return { problem: `unknown request type ${JSON.stringify(value.type)}` };
  }
}
