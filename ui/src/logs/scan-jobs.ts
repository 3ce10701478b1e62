/**
 * The two jobs that read a whole log: search (which lines match) and
 * download (the log as one text file). They run in a worker (scan-worker.ts),
 * so parsing a million lines never holds up scrolling; where a worker cannot
 * be started they run in the page instead (scanner.ts). Either way they talk
 * in these messages.
 */
import { ApiError } from "../api/api-error";
import { plainText } from "./ansi";
import type { LogTarget } from "./log-api";
import { scanLines } from "./log-scan";
import { fullTime } from "./log-time";

export type ScanJob =
  | { kind: "search"; target: LogTarget; from: number; needle: string; max: number }
  | { kind: "download"; target: LogTarget; timestamps: boolean; utc: boolean };

export interface ScanError {
  code: string;
  message: string;
  details: unknown;
  status: number;
}

export type ScanMessage =
  /** Matching lines in the part just read (ascending), how far it has read, and whether the list is full. */
  | { kind: "matches"; lines: number[]; scanned: number; capped: boolean }
  | { kind: "progress"; lines: number }
  | { kind: "file"; blob: Blob }
  | { kind: "done" }
  | { kind: "error"; error: ScanError };

/** Runs a job to its end (or until `signal` aborts), telling `post` as it goes. */
export async function runJob(job: ScanJob, post: (message: ScanMessage) => void, signal: AbortSignal): Promise<void> {
  try {
    if (job.kind === "search") await search(job, post, signal);
    else await download(job, post, signal);
    if (!signal.aborted) post({ kind: "done" });
  } catch (error) {
    if (signal.aborted) return;
    post({ kind: "error", error: error instanceof ApiError ? { code: error.code, message: error.message, details: error.details, status: error.status } : { code: "error", message: "The log could not be read to its end.", details: null, status: 0 } });
  }
}

async function search(job: Extract<ScanJob, { kind: "search" }>, post: (message: ScanMessage) => void, signal: AbortSignal): Promise<void> {
  let found = 0;
  for await (const chunk of scanLines(job.target, job.from, signal)) {
    const lines: number[] = [];
    let capped = false;
    for (let i = 0; i < chunk.lines.length; i++) {
      if (!plainText(chunk.lines[i]!.line).toLowerCase().includes(job.needle)) continue;
      if (found >= job.max) {
        capped = true;
        break;
      }
      lines.push(chunk.first + i);
      found++;
    }
    post({ kind: "matches", lines, scanned: chunk.first + chunk.lines.length, capped });
    if (capped) return;
  }
}

async function download(job: Extract<ScanJob, { kind: "download" }>, post: (message: ScanMessage) => void, signal: AbortSignal): Promise<void> {
  const parts: string[] = [];
  let lines = 0;
  for await (const chunk of scanLines(job.target, 0, signal)) {
    let text = "";
    for (const line of chunk.lines) text += job.timestamps ? `${fullTime(line.ts, job.utc)} ${line.line}\n` : `${line.line}\n`;
    parts.push(text);
    lines += chunk.lines.length;
    post({ kind: "progress", lines });
  }
  post({ kind: "file", blob: new Blob(parts, { type: "text/plain;charset=utf-8" }) });
}
