/**
 * `spire logs RUN [TASK]`, `spire logs last [PIPELINE] [TASK]`: what the
 * tasks of a run printed, stdout and stderr apart and in order; -f follows a
 * live run to its end.
 */
import pc from "picocolors";
import type { LogLine, LogStream } from "../../exec/port.js";
import type { RunObject, SpireClient } from "../../client/port.js";
import { suggest } from "../../definitions/suggest.js";
import { CliError, EXIT } from "../errors.js";
import { withClient, type Target } from "../connect.js";
import { timestamp } from "../render/format.js";
import { AmbiguousPipeline, resolvePipeline, resolveRun } from "../resolve.js";

export interface LogsOptions extends Target {
  follow?: boolean;
  stream?: LogStream;
  attempt?: string;
  timestamps?: boolean;
}

const PAGE = 5000;

export async function logsCommand(given: string, words: string[], options: LogsOptions): Promise<void> {
  await withClient(options, async (client) => {
    const { runId, task } = await target(client, given, words);
    const run = await client.getRun(runId);
    const attempt = attemptOf(run, task, options.attempt);
    if (options.follow && !["succeeded", "failed", "canceled", "skipped", "interrupted"].includes(run.state)) return follow(client, run, task, attempt, options);
    for (const [path, number, of] of attemptsToPrint(run, task, attempt)) {
      let cursor: string | null = null;
      do {
        const page: { lines: LogLine[]; next_cursor: string | null } = await client.readLogs(run.id, path, {
          attempt: number,
          limit: PAGE,
          ...(options.stream ? { stream: options.stream } : {}),
          ...(cursor !== null ? { cursor } : {}),
        });
        print(page.lines, task === undefined ? label(path, number, of) : undefined, options);
        cursor = page.next_cursor;
      } while (cursor !== null);
    }
  });
}

/**
 * RUN [TASK], or `last [PIPELINE] [TASK]`. After `last`, one word is a task
 * of the newest run when it has one of that name (checks/size is a task
 * path), else a pipeline, NAME or NS/NAME (its newest run).
 */
async function target(client: SpireClient, given: string, words: string[]): Promise<{ runId: string; task: string | undefined }> {
  if (words.length > 2) throw new CliError(`too many words: ${words.join(" ")}`, EXIT.usage, "spire logs RUN [TASK], or spire logs last [PIPELINE] [TASK]");
  const isLast = given === "last" || given === "latest";
  if (!isLast || words.length === 0) {
    if (words.length === 2) throw new CliError(`a pipeline goes with last, not with a run id (${given})`, EXIT.usage, `For example: spire logs last ${words[0]} ${words[1]}`);
    return { runId: await resolveRun(client, given), task: words[0] };
  }
  const [word, task] = words as [string, string | undefined];
  if (task !== undefined) return { runId: await resolveRun(client, given, await resolvePipeline(client, word)), task };
  const newest = await resolveRun(client, given);
  if ((await client.getRun(newest)).tasks.some((candidate) => candidate.path === word)) return { runId: newest, task: word };
  // Not a task of the newest run: a pipeline, unless there is none of that name (then the task is said missing). One
  // in several namespaces is asked about, not taken for a task.
  const pipeline = await resolvePipeline(client, word).catch((error: unknown) => {
    if (error instanceof AmbiguousPipeline) throw error;
    return undefined;
  });
  return pipeline ? { runId: await resolveRun(client, given, pipeline), task: undefined } : { runId: newest, task: word };
}

function attemptOf(run: RunObject, task: string | undefined, attempt: string | undefined): number | undefined {
  if (task === undefined) {
    if (attempt !== undefined) throw new CliError("--attempt needs a task", EXIT.usage, "For example: spire logs last dump --attempt 2");
    return undefined;
  }
  const found = run.tasks.find((candidate) => candidate.path === task);
  if (!found) {
    const paths = run.tasks.map((candidate) => candidate.path);
    const close = suggest(task, paths);
    throw new CliError(`run ${run.id} has no task "${task}"${close ? ` — did you mean "${close}"?` : ""}`, EXIT.usage, `Its tasks: ${paths.join(", ") || "(none)"}`);
  }
  if (attempt === undefined) return undefined;
  const number = Number(attempt);
  if (!Number.isInteger(number) || number < 1 || number > Math.max(1, found.attempts)) {
    throw new CliError(`task ${task} has no attempt ${attempt}`, EXIT.usage, `Attempts: ${Array.from({ length: Math.max(1, found.attempts) }, (_, i) => i + 1).join(", ")}`);
  }
  return number;
}

/** [task, attempt, attempts of that task]: one task's chosen (or last) attempt, or every attempt of every task in the order they started. */
function attemptsToPrint(run: RunObject, task: string | undefined, attempt: number | undefined): [string, number, number][] {
  if (task !== undefined) {
    const found = run.tasks.find((candidate) => candidate.path === task)!;
    return [[task, attempt ?? Math.max(1, found.attempts), found.attempts]];
  }
  const started = run.tasks.filter((candidate) => candidate.attempts > 0).sort((a, b) => (a.started_at ?? "~").localeCompare(b.started_at ?? "~"));
  return started.flatMap((candidate) => Array.from({ length: candidate.attempts }, (_, index): [string, number, number] => [candidate.path, index + 1, candidate.attempts]));
}

/** Every line so far, then each new one, until the run ends. */
async function follow(client: SpireClient, run: RunObject, task: string | undefined, attempt: number | undefined, options: LogsOptions): Promise<void> {
  await client.follow(run.id, { logs: "all" }, (event) => {
    if (event.kind !== "log") return;
    if (task !== undefined && (event.task !== task || (attempt !== undefined && event.attempt !== attempt))) return;
    if (options.stream && event.line.stream !== options.stream) return;
    print([event.line], task === undefined ? label(event.task, event.attempt, event.attempt) : undefined, options);
  });
}

function label(path: string, attempt: number, attempts: number): string {
  return `${path}${attempts > 1 ? `#${attempt}` : ""}`;
}

function print(lines: LogLine[], prefix: string | undefined, options: LogsOptions): void {
  if (lines.length === 0) return;
  const color = process.stdout.isTTY === true;
  const text = lines
    .map((line) => {
      const parts: string[] = [];
      if (options.timestamps) parts.push(pc.dim(timestamp(line.ts)));
      if (prefix !== undefined) parts.push(pc.cyan(prefix));
      parts.push(color && line.stream === "stderr" ? pc.red(line.line) : line.line);
      return parts.join(" ");
    })
    .join("\n");
  process.stdout.write(`${text}\n`);
}
