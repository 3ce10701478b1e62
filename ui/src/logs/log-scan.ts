/**
 * Reading a whole log (or the rest of it) in order, in the largest pages
 * the API gives, for search and download. By line number, a few requests
 * are in flight at once and the pages are handed over in order; through an
 * old engine's byte cursor, one after the other (each page names the next),
 * the next asked for as soon as the answer's headers say where it starts.
 */
import { getRaw } from "../api/client";
import { MAX_LIMIT, baseQuery, logsPath, parseNdjson, readWindow, type LineWindow, type LogTarget } from "./log-api";

const IN_FLIGHT = 3;

export interface Chunk {
  /** The index of lines[0] in the view. */
  first: number;
  lines: LineWindow["lines"];
}

/** The lines from `from` to the end of the log as it is now, page by page. */
export async function* scanLines(target: LogTarget, from: number, byLineNumber: boolean, signal: AbortSignal): AsyncGenerator<Chunk> {
  if (byLineNumber) yield* scanByLineNumber(target, from, signal);
  else yield* scanByCursor(target, signal);
}

async function* scanByLineNumber(target: LogTarget, from: number, signal: AbortSignal): AsyncGenerator<Chunk> {
  const first = await readWindow(target, { from }, MAX_LIMIT, signal);
  yield { first: from, lines: first.lines };
  // The count when the scan began bounds it: lines written later are for the next scan.
  const end = first.total;
  const queue: Promise<LineWindow>[] = [];
  let next = from + first.lines.length;
  const fill = () => {
    while (queue.length < IN_FLIGHT && next < end) {
      queue.push(readWindow(target, { from: next }, MAX_LIMIT, signal));
      next += MAX_LIMIT;
    }
  };
  // Failing requests still in the queue when the consumer stops would be unhandled rejections.
  try {
    fill();
    while (queue.length > 0) {
      const window = await queue.shift()!;
      fill();
      if (window.lines.length > 0) yield { first: window.first, lines: window.lines };
    }
  } finally {
    for (const pending of queue) pending.catch(() => {});
  }
}

async function* scanByCursor(target: LogTarget, signal: AbortSignal): AsyncGenerator<Chunk> {
  const ask = (cursor: string | undefined) => getRaw(logsPath(target), { query: { ...baseQuery(target), cursor, limit: MAX_LIMIT }, signal });
  let pending: Promise<Response> | undefined = ask(undefined);
  let index = 0;
  try {
    while (pending) {
      const response: Response = await pending;
      const cursor = response.headers.get("spire-next-cursor");
      pending = cursor ? ask(cursor) : undefined;
      const lines = parseNdjson(await response.text());
      yield { first: index, lines };
      index += lines.length;
    }
  } finally {
    pending?.catch(() => {});
  }
}
