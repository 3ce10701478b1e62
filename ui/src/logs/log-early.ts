/**
 * A log's first lines read before its view exists: when the page's URL
 * names a task's log (/runs/ID?task=T&tab=logs), the read goes out as the
 * app starts, beside the run page's own code and requests, instead of after
 * the run has come and the view is drawn. The view's first read
 * (LineCache.open) takes it. Small, and free of the log view's code: it is
 * part of the first load.
 */
import { readWindow, type LineWindow, type LogTarget, type StreamView } from "./log-api";

/** Lines per page of the view (LineCache reads in these). */
export const PAGE = 500;

/** Where a view opens, when not at the end (a live task's). */
export type OpenAtLine = { kind: "start" } | { kind: "line"; index: number };

/** The first read of a view opened at the start or at a line. */
export function firstWindow(at: OpenAtLine): { from: number; limit: number } {
  if (at.kind === "start") return { from: 0, limit: PAGE };
  // Two pages from the one before the line's screen: whatever page boundary the screen straddles, one answer fills it.
  const index = Math.max(0, at.index - 100);
  return { from: Math.floor(index / PAGE) * PAGE, limit: 2 * PAGE };
}

/** ?stream=stdout|stderr: one stream; else both. */
export function viewIn(query: URLSearchParams): StreamView {
  const stream = query.get("stream");
  return stream === "stdout" || stream === "stderr" ? stream : "all";
}

/** ?line=N (1-based) as a 0-based index. */
export function lineIn(query: URLSearchParams): number | undefined {
  const value = Number(query.get("line"));
  return Number.isSafeInteger(value) && value >= 1 ? value - 1 : undefined;
}

/** ?attempt=N (a whole number from 1), or undefined: the last. */
export function attemptIn(query: URLSearchParams): number | undefined {
  const value = Number(query.get("attempt"));
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

const early = new Map<string, Promise<LineWindow>>();
const earlyKey = (target: LogTarget, from: number, limit: number) => JSON.stringify([target.runId, target.task, target.attempt ?? null, target.view, from, limit]);

/** Reads the first window of the log that run `runId`'s page with `query` shows, if it shows one. Not taken within a few seconds, the read is forgotten. */
export function readLinkedLog(runId: string, query: URLSearchParams): void {
  const task = query.get("task");
  if (!task || query.get("tab") !== "logs") return;
  const target: LogTarget = { runId, task, attempt: attemptIn(query), view: viewIn(query) };
  const line = lineIn(query);
  const { from, limit } = firstWindow(line !== undefined ? { kind: "line", index: line } : { kind: "start" });
  const key = earlyKey(target, from, limit);
  if (early.has(key)) return;
  const window = readWindow(target, { from }, limit);
  // A refusal is the view's to show, once it takes the read.
  window.catch(() => {});
  early.set(key, window);
  setTimeout(() => early.delete(key), 5_000);
}

/** The early read of this window, if one was made (once). A live task's view opens at its end and leaves it. */
export function takeEarly(target: LogTarget, from: number, limit: number): Promise<LineWindow> | undefined {
  const key = earlyKey(target, from, limit);
  const window = early.get(key);
  early.delete(key);
  return window;
}
