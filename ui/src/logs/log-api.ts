/**
 * Reading a task's log from the API (GET /runs/{id}/tasks/{task}/logs,
 * NDJSON): a window by line number with the view's line count (from_line or
 * tail; Spire-Total-Lines, Spire-First-Line).
 */
import { ApiError } from "../api/api-error";
import { getRaw, segment } from "../api/client";

export type LogStream = "stdout" | "stderr";
/** Which lines are counted and shown: both streams in the order printed, or one. */
export type StreamView = "all" | LogStream;

export interface LogLine {
  /** Epoch ms. */
  ts: number;
  stream: LogStream;
  line: string;
}

export interface LogTarget {
  runId: string;
  task: string;
  attempt: number | undefined;
  view: StreamView;
}

/** The most lines the API gives in one answer. */
export const MAX_LIMIT = 10_000;

export interface LineWindow {
  lines: LogLine[];
  /** The index of lines[0] in the view. */
  first: number;
  /** The view's line count when the engine read it. */
  total: number;
}

export function logsPath(target: LogTarget): string {
  // The task path keeps its "/" (the route takes it as is); each part is escaped.
  return `/runs/${segment(target.runId)}/tasks/${target.task.split("/").map(segment).join("/")}/logs`;
}

/** The query parameters every read of this target carries. */
export function baseQuery(target: LogTarget) {
  return { attempt: target.attempt, stream: target.view === "all" ? undefined : target.view };
}

/** NDJSON to lines, with one JSON.parse for the whole answer (lines never hold a raw newline). */
export function parseNdjson(text: string): LogLine[] {
  const body = text.trimEnd();
  if (body === "") return [];
  return JSON.parse(`[${body.split("\n").join(",")}]`) as LogLine[];
}

function headerNumber(response: Response, name: string): number | undefined {
  const value = response.headers.get(name);
  if (value === null || value === "") return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** `limit` lines from line `from` (0-based), or the last `tail` lines, with the view's total. */
export async function readWindow(target: LogTarget, where: { from: number } | { tail: number }, limit: number, signal?: AbortSignal): Promise<LineWindow> {
  const query = { ...baseQuery(target), ...("tail" in where ? { tail: where.tail } : { from_line: where.from, limit }) };
  const response = await getRaw(logsPath(target), { query, signal });
  const text = await response.text();
  const total = headerNumber(response, "spire-total-lines");
  if (total === undefined) throw new ApiError("error", "The engine did not say how long the log is: is it older than this page?", null, response.status);
  const lines = parseNdjson(text);
  const first = headerNumber(response, "spire-first-line") ?? ("tail" in where ? Math.max(0, total - lines.length) : where.from);
  return { lines, first, total: Math.max(total, first + lines.length) };
}
