/**
 * An `http:` task, done by the engine itself (no process): one request,
 * logged like any task — what was asked and answered on stderr, the
 * response body on stdout, through the same capture (masking, markers,
 * warn/error patterns, tail) — and judged by `expect` (status, and a
 * pattern the body must match). A timeout or a cancel aborts the request.
 *
 * The records file beside the log (in-process-attempt.ts) lets an engine
 * killed after the answer came find the result at its next start, and one
 * killed mid-request mark the attempt interrupted rather than send the
 * request again (it may not be safe to repeat).
 */
import type { AttemptReport, HttpRequestSpec, LaunchEvents, LaunchSpec, TaskHandle } from "../port.js";
import type { OutputCapture } from "../capture.js";
import { InProcessAttempt } from "../in-process-attempt.js";
import { formatDuration } from "../attempt.js";
import { outputPattern } from "../../definitions/output-patterns.js";

/** The body kept to test `expect.body` against (all of it still goes to the log). */
const MAX_MATCHED_BODY_CHARS = 1024 * 1024;

export function launchHttp(spec: LaunchSpec & { http: HttpRequestSpec }, events: LaunchEvents = {}): TaskHandle {
  const controller = new AbortController();
  let ending: { state: "timed_out" | "canceled"; reason: string } | undefined;
  const stop = (state: "timed_out" | "canceled", reason: string) => {
    if (ending) return;
    ending = { state, reason };
    controller.abort();
  };
  const timer = spec.timeoutMs === undefined ? undefined : setTimeout(() => stop("timed_out", `timed out after ${formatDuration(spec.timeoutMs!)}`), spec.timeoutMs);
  const done = request(spec, events, controller.signal, () => ending).finally(() => clearTimeout(timer));
  return { id: spec.id, cancel: (reason) => stop("canceled", reason.startsWith("canceled") ? reason : `canceled: ${reason}`), done };
}

async function request(spec: LaunchSpec & { http: HttpRequestSpec }, events: LaunchEvents, signal: AbortSignal, ending: () => { state: "timed_out" | "canceled"; reason: string } | undefined): Promise<AttemptReport> {
  const { http } = spec;
  const attempt = new InProcessAttempt(spec, events);
  const { capture, startedAt } = attempt;
  capture.note("stderr", `${http.method} ${http.url}`);
  let state: AttemptReport["state"] = "failed";
  let reason: string | null = null;
  let status: number | null = null;
  try {
    const response = await fetch(http.url, { method: http.method, headers: http.headers, ...(http.body !== undefined ? { body: http.body } : {}), signal, redirect: "follow" });
    status = response.status;
    capture.note("stderr", `${response.status} ${response.statusText} after ${formatDuration(Date.now() - startedAt)}`);
    const body = await readBody(response, capture);
    reason = judge(http, response.status, body);
    state = reason === null ? "succeeded" : "failed";
  } catch (error) {
    const stopped = ending();
    if (stopped) ({ state, reason } = stopped);
    else reason = `request failed: ${describe(error)}`;
    capture.note("stderr", reason!);
  }
  // The status is an output, so that a later task can use it: {{ tasks.check.outputs.status }}.
  return attempt.finish(state, reason, status !== null ? { status: String(status) } : {});
}

/** Streams the body into the log; returns its start, for `expect.body`. */
async function readBody(response: Response, capture: OutputCapture): Promise<string> {
  if (!response.body) return "";
  const decoder = new TextDecoder();
  let kept = "";
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    // The capture takes bytes as they are (a view, not a copy); only the start kept for `expect.body` is decoded here.
    capture.push("stdout", Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (kept.length < MAX_MATCHED_BODY_CHARS) kept += decoder.decode(chunk, { stream: true }).slice(0, MAX_MATCHED_BODY_CHARS - kept.length);
  }
  return kept.length < MAX_MATCHED_BODY_CHARS ? kept + decoder.decode() : kept;
}

/** Null when the answer is what `expect` asks; else why not. */
function judge(http: HttpRequestSpec, status: number, body: string): string | null {
  const statusOk = http.expectStatus.length === 0 ? status >= 200 && status < 300 : http.expectStatus.includes(status);
  if (!statusOk) return `expected status ${http.expectStatus.length === 0 ? "2xx" : http.expectStatus.join(" or ")}, got ${status}`;
  if (http.expectBody === undefined) return null;
  let pattern: RegExp;
  try {
    pattern = outputPattern(http.expectBody);
  } catch (error) {
    // Checked with the file: only an engine older than this executor's (a worker's) lets such a pattern through.
    return `expect.body ${JSON.stringify(http.expectBody)} is not used: ${(error as Error).message}`;
  }
  return pattern.test(body) ? null : `the response body does not match ${JSON.stringify(http.expectBody)}`;
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  return error instanceof Error ? error.message : String(error);
}
