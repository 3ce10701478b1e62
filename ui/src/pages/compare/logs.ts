/**
 * A task's log, read page by page (GET /runs/{id}/tasks/{task}/logs, NDJSON
 * lines, the next page's cursor in Spire-Next-Cursor), one stream at a
 * time, as a reader that hands out one line after another.
 */
import { ApiError } from "../../api/api-error";
import { apiUrl, segment } from "../../api/client";

export type Stream = "stdout" | "stderr";

interface LogLine {
  ts: number;
  stream: Stream;
  line: string;
}

/** The task path's `/` stays as it is (the route takes it so); each part is escaped. */
function logsPath(runId: string, task: string): string {
  return `/runs/${segment(runId)}/tasks/${task.split("/").map(encodeURIComponent).join("/")}/logs`;
}

const PAGE = 5_000;

async function fetchPage(runId: string, task: string, stream: Stream, cursor: string | null, signal: AbortSignal): Promise<{ lines: string[]; next: string | null }> {
  let response: Response;
  try {
    response = await fetch(apiUrl(logsPath(runId, task), { stream, limit: PAGE, cursor }), { credentials: "same-origin", headers: { accept: "application/x-ndjson" }, signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ApiError("unreachable", "The engine is not answering. Is it running?", null, 0);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = `The engine refused to give the log (HTTP ${response.status}).`;
    let code = "error";
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error?.message) message = body.error.message;
      if (body.error?.code) code = body.error.code;
    } catch {
      // Not JSON: keep our own words.
    }
    throw new ApiError(code, message, null, response.status);
  }
  const lines: string[] = [];
  for (const row of text.split("\n")) {
    if (row === "") continue;
    try {
      lines.push((JSON.parse(row) as LogLine).line);
    } catch {
      // A torn last line cannot happen with a finished task; skip anything unreadable rather than fail the comparison.
    }
  }
  return { lines, next: response.headers.get("spire-next-cursor") };
}

export class LogReader {
  private buffer: string[] = [];
  private index = 0;
  private cursor: string | null = null;
  private ended = false;
  private started = false;

  constructor(
    private readonly runId: string,
    private readonly task: string,
    private readonly stream: Stream,
    private readonly signal: AbortSignal,
  ) {}

  /** The next line, or null at the end of the log. */
  async next(): Promise<string | null> {
    while (this.index >= this.buffer.length) {
      if (this.ended) return null;
      const page = await fetchPage(this.runId, this.task, this.stream, this.started ? this.cursor : null, this.signal);
      this.started = true;
      // An empty page that does not move the cursor would be asked for forever: it is the end.
      const stuck = page.lines.length === 0 && page.next === this.cursor;
      this.buffer = page.lines;
      this.index = 0;
      this.cursor = page.next;
      if (page.next === null || page.next === "" || stuck) this.ended = true;
      if (page.lines.length === 0 && this.ended) return null;
    }
    return this.buffer[this.index++]!;
  }
}
