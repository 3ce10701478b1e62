/**
 * Reading a whole log (or the rest of it) in order, in the largest pages
 * the API gives, for search and download: a few requests by line number in
 * flight at once, the pages handed over in order.
 */
import { MAX_LIMIT, readWindow, type LineWindow, type LogTarget } from "./log-api";

const IN_FLIGHT = 3;

export interface Chunk {
  /** The index of lines[0] in the view. */
  first: number;
  lines: LineWindow["lines"];
}

/** The lines from `from` to the end of the log as it is now, page by page. */
export async function* scanLines(target: LogTarget, from: number, signal: AbortSignal): AsyncGenerator<Chunk> {
  const first = await readWindow(target, { from }, MAX_LIMIT, signal);
  yield { first: from, lines: first.lines };
  // The count when the scan began bounds it: lines written later are for the next scan.
  const end = first.total;
  const queue: Promise<LineWindow>[] = [];
  let next = from + first.lines.length;
  const fill = () => {
    while (queue.length < IN_FLIGHT && next < end) {
      const window = readWindow(target, { from: next }, MAX_LIMIT, signal);
      // A request that fails while still queued (the scan was stopped) is not an unhandled rejection; awaited, it still throws.
      window.catch(() => {});
      queue.push(window);
      next += MAX_LIMIT;
    }
  };
  fill();
  while (queue.length > 0) {
    const window = await queue.shift()!;
    fill();
    if (window.lines.length > 0) yield { first: window.first, lines: window.lines };
  }
}
