/** `spire logs RUN [TASK]`: what the tasks of a run printed, stdout and stderr apart and in order. */
import pc from "picocolors";
import { readLog } from "../../exec/log-file.js";
import { latestAttempts } from "../../engine/task-row.js";
import type { LogStream } from "../../exec/port.js";
import type { TaskRunRow } from "../../store/port.js";
import { suggest } from "../../spec/suggest.js";
import { CliError, EXIT } from "../errors.js";
import { openStore, resolveRunId } from "../context.js";
import { timestamp } from "../render/format.js";

export interface LogsOptions {
  follow?: boolean;
  stream?: LogStream;
  attempt?: string;
  timestamps?: boolean;
  data?: string;
}

export async function logsCommand(given: string, task: string | undefined, options: LogsOptions): Promise<void> {
  const { store } = await openStore(options.data);
  try {
    const id = await resolveRunId(store, given);
    const offsets = new Map<string, number>();
    for (;;) {
      const stored = (await store.getRun(id))!;
      const ended = !["queued", "running"].includes(stored.run.state);
      await printNew(pickAttempts(stored.tasks, task, options.attempt, options.follow === true), offsets, task === undefined, options);
      // Following: read again until the run has ended; the last pass after that catches the final lines.
      if (!options.follow || ended) break;
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    }
  } finally {
    await store.close();
  }
}

const FOLLOW_POLL_MS = 200;

/** Prints the lines of each attempt past what was printed before (offsets by attempt). */
async function printNew(rows: TaskRunRow[], offsets: Map<string, number>, prefix: boolean, options: LogsOptions): Promise<void> {
  const color = process.stdout.isTTY === true;
  for (const row of rows) {
    if (!row.log_file) continue;
    const key = `${row.path}#${row.attempt}`;
    for (;;) {
      const page = await readLog(row.log_file, { offset: offsets.get(key) ?? 0, limit: 5000, ...(options.stream ? { stream: options.stream } : {}) });
      offsets.set(key, page.nextOffset ?? page.endOffset);
      const text = page.lines
        .map((line) => {
          const parts: string[] = [];
          if (options.timestamps) parts.push(pc.dim(timestamp(line.ts)));
          if (prefix) parts.push(pc.cyan(`${row.path}${row.attempt > 1 ? `#${row.attempt}` : ""}`));
          parts.push(color && line.stream === "stderr" ? pc.red(line.line) : line.line);
          return parts.join(" ");
        })
        .join("\n");
      if (text) process.stdout.write(`${text}\n`);
      if (page.nextOffset === null) break;
    }
  }
}

function pickAttempts(tasks: TaskRunRow[], task: string | undefined, attempt: string | undefined, following = false): TaskRunRow[] {
  const ordered = [...tasks].sort((a, b) => (a.started_at ?? Infinity) - (b.started_at ?? Infinity) || a.attempt - b.attempt);
  if (task === undefined) {
    if (attempt !== undefined) throw new CliError("--attempt needs a task", EXIT.usage, "For example: spire logs last dump --attempt 2");
    return ordered;
  }
  const mine = ordered.filter((row) => row.path === task);
  if (mine.length === 0 && following) return [];
  if (mine.length === 0) {
    const paths = [...new Set(tasks.map((row) => row.path))];
    const close = suggest(task, paths);
    throw new CliError(`this run has no task "${task}"${close ? ` — did you mean "${close}"?` : ""}`, EXIT.usage, `Its tasks: ${paths.join(", ")}`);
  }
  if (attempt === undefined) return [latestAttempts(mine).get(task)!];
  const number = Number(attempt);
  const chosen = mine.find((row) => row.attempt === number);
  if (!chosen) throw new CliError(`task ${task} has no attempt ${attempt}`, EXIT.usage, `Attempts: ${mine.map((row) => row.attempt).join(", ")}`);
  return [chosen];
}
