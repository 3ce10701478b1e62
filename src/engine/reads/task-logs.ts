/**
 * Reading one task attempt's log for a client: a page from a byte cursor
 * (the CLI's `spire logs`, unchanged), or a window by line number with the
 * view's line count (a virtualized log view: any screen of a million lines,
 * the last one included, without reading what comes before it).
 */
import { attemptLog, type AttemptLog, type LogReader } from "../../logs/port.js";
import type { LogLine } from "../../exec/port.js";
import type { TaskRunRow } from "../../store/port.js";
import { ServiceError, type LogPage, type LogQuery } from "../service.js";
import { latestAttempts } from "../runs/task-row.js";

/** The attempt a query asks for: the one numbered `attempt`, else the last. */
export function attemptOfTask(runId: string, task: string, rows: readonly TaskRunRow[], attempt: number | undefined): TaskRunRow {
  const attempts = rows.filter((row) => row.path === task);
  if (attempts.length === 0) throw new ServiceError("not_found", `run ${runId} has no task ${JSON.stringify(task)}`);
  const row = attempt === undefined ? latestAttempts(attempts).get(task) : attempts.find((a) => a.attempt === attempt);
  if (!row) throw new ServiceError("not_found", `task ${task} of run ${runId} has no attempt ${attempt}`, { attempts: attempts.map((a) => a.attempt).sort((a, b) => a - b) });
  return row;
}

/** Reads the page `query` asks for of the attempt's log (the file comes from the store, never from the request). */
export async function readTaskLog(logs: LogReader, row: TaskRunRow, query: LogQuery): Promise<LogPage> {
  refuseMixedQueries(query);
  const log = attemptLog(row);
  if (query.fromLine !== undefined || query.tail !== undefined) return readLines(logs, log, query);
  const offset = query.cursor === undefined ? 0 : Number(query.cursor);
  if (!Number.isSafeInteger(offset) || offset < 0 || (offset > 0 && !(log && (await logs.atLineStart(log, offset))))) {
    return refuse(
      `cursor: ${JSON.stringify(query.cursor)} is not a place in this task's log: pass the next cursor of a previous page of the same log (Spire-Next-Cursor), or leave it out for the first page`,
    );
  }
  if (!log) return { lines: [], next_cursor: null };
  const page = await logs.read(log, { offset, limit: query.limit ?? DEFAULT_LINES, ...(query.stream ? { stream: query.stream } : {}), ...(query.since !== undefined ? { sinceTs: query.since } : {}) });
  return { lines: page.lines, next_cursor: page.nextOffset === null ? null : String(page.nextOffset) };
}

/** Lines a page holds when the query does not say. */
export const DEFAULT_LINES = 1000;

/**
 * Lines `from_line` on (or the last `tail`) of one view: both streams in
 * order, or one. The count is the view's when the index was brought up to
 * the end of the file, just before the read: a live log may have more by
 * the time the lines are read, and the next ask counts them.
 */
async function readLines(logs: LogReader, log: AttemptLog | undefined, query: LogQuery): Promise<LogPage> {
  const view = query.stream ?? "all";
  const index = log === undefined ? undefined : await logs.lineIndex(log);
  const total = index?.counts[view] ?? 0;
  const first = query.tail !== undefined ? Math.max(0, total - query.tail) : query.fromLine!;
  const limit = query.limit ?? query.tail ?? DEFAULT_LINES;
  const start = index?.locate(view, first);
  if (log === undefined || start === undefined) return { lines: [], next_cursor: null, total_lines: total, first_line: first };
  const page = await logs.read(log, { offset: start.offset, limit: start.skip + limit, ...(query.stream ? { stream: query.stream } : {}) });
  const lines: LogLine[] = page.lines.slice(start.skip);
  return { lines, next_cursor: page.nextOffset === null ? null : String(page.nextOffset), total_lines: total, first_line: first };
}

/** A window by line number is a place of its own: it does not mix with a byte cursor or a time. */
function refuseMixedQueries(query: LogQuery): void {
  const lineParameter = query.fromLine !== undefined ? "from_line" : query.tail !== undefined ? "tail" : undefined;
  if (lineParameter === undefined) return;
  if (query.fromLine !== undefined && query.tail !== undefined) refuse("from_line and tail: give one of them (tail=N is the last N lines; from_line=N the lines from line N)");
  if (query.cursor !== undefined) refuse(`${lineParameter}: cannot be given with cursor (a byte offset): page by line number with from_line, or by cursor alone`);
  if (query.since !== undefined) refuse(`${lineParameter}: cannot be given with since: a window by line number counts every line of the view`);
}

function refuse(problem: string): never {
  throw new ServiceError("bad_request", problem, [problem]);
}
