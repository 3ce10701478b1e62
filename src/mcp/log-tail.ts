/**
 * The end of a task's log, bounded twice: by lines (the engine cuts them) and
 * by bytes (cut here, oldest lines first), so one answer never floods an
 * assistant's context. Both the tool and the log resource read through this.
 */
import type { SpireClient } from "../client/port.js";
import type { LogStream } from "../exec/port.js";

export const DEFAULT_TAIL_LINES = 200;
export const MAX_TAIL_LINES = 5000;
export const DEFAULT_MAX_BYTES = 32 * 1024;
export const MAX_BYTES = 1024 * 1024;

export interface TailRequest {
  lines: number;
  maxBytes: number;
  stream?: LogStream;
  attempt?: number;
}

/** A header saying which lines these are, then the lines (stderr ones marked). */
export async function readLogTail(client: SpireClient, runId: string, task: string, request: TailRequest): Promise<string> {
  const page = await client.readLogs(runId, task, {
    tail: request.lines,
    ...(request.stream !== undefined ? { stream: request.stream } : {}),
    ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
  });
  const shown = page.lines.map((line) => (line.stream === "stderr" && request.stream === undefined ? `[stderr] ${line.line}` : line.line));
  const kept = lastWithin(shown, request.maxBytes);
  const total = page.total_lines ?? page.lines.length;
  const first = total - kept.length;
  const which = request.stream ?? "stdout and stderr";
  const attempt = request.attempt !== undefined ? `, attempt ${request.attempt}` : "";
  const header =
    total === 0
      ? `run ${runId}, task ${task}${attempt}: no log lines (${which})`
      : `run ${runId}, task ${task}${attempt}: lines ${first + 1}-${total} of ${total} (${which})${kept.length < page.lines.length ? `; older lines left out to stay within ${request.maxBytes} bytes` : ""}`;
  return [header, ...kept].join("\n");
}

/** The newest lines whose UTF-8 bytes (with their newlines) fit in `maxBytes`; the newest line alone is cut to fit. */
function lastWithin(lines: string[], maxBytes: number): string[] {
  const kept: string[] = [];
  let bytes = 0;
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!;
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > maxBytes) {
      if (kept.length === 0) kept.push(`…${Buffer.from(line).subarray(-maxBytes).toString()}`);
      break;
    }
    kept.unshift(line);
    bytes += size;
  }
  return kept;
}
