/**
 * Following a run wherever it runs (an engine, or this process): its events
 * become the live tree (or plain lines, or final JSON). Ctrl-C asks for the
 * run to be canceled and keeps following until it has ended; a run in this
 * process is canceled on SIGTERM and SIGHUP too, since nothing else would
 * stop its tasks.
 */
import type { LogLine } from "../exec/port.js";
import type { RunChange } from "../engine/runs/run-controller.js";
import { planOnce } from "../plan/plan-cache.js";
import type { RunRow } from "../store/port.js";
import { blankTaskRow } from "../engine/runs/task-row.js";
import type { TaskState } from "../plan/types.js";
import type { LiveEvent, RunObject, SpireClient } from "../client/port.js";
import { CliError, EXIT } from "./errors.js";
import { createRenderer, type Renderer } from "./render/run-renderer.js";

export interface FollowOptions {
  json: boolean;
  /** Shows the run instead of the tree, plain lines or JSON; it is given the tasks' log lines too (an ad hoc job prints its command's output). */
  renderer?: Renderer;
}

/** Lines of each failed task shown at the end. */
const TAIL_LINES = 10;

export async function followRun(client: SpireClient, run: RunObject, options: FollowOptions): Promise<number> {
  const renderer = options.renderer ?? (await defaultRenderer(client, run, options.json));
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!interrupted) renderer.note(`${signal === "SIGINT" ? "Ctrl-C" : signal}: canceling the run, waiting for its tasks to stop…`);
    interrupted = true;
    void client.cancelRun(run.id).catch(() => undefined);
  };
  const signals: NodeJS.Signals[] = client.location.kind === "in-process" ? ["SIGINT", "SIGTERM", "SIGHUP"] : ["SIGINT"];
  for (const signal of signals) process.on(signal, onSignal);
  try {
    await client.follow(run.id, { logs: options.renderer ? "all" : "none" }, (event) => {
      const change = toChange(event);
      if (change) renderer.onChange(change);
    });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
  const final = await client.getRun(run.id);
  if (final.state === "running" || final.state === "queued") {
    throw new CliError(`lost the engine's event stream; run ${run.id} is still ${final.state}`, EXIT.unreachable, `Follow it again with: spire logs -f ${run.id}   (or see it with: spire show ${run.id})`);
  }
  await renderer.finish(final, [], options.renderer ? undefined : await failedTails(client, final));
  if (interrupted) return EXIT.interrupted;
  return final.state === "succeeded" ? EXIT.ok : EXIT.runFailed;
}

async function defaultRenderer(client: SpireClient, run: RunObject, json: boolean): Promise<Renderer> {
  // The tree of what this run runs: its own definition, whatever the pipeline has become since.
  // A stored run's definition was checked when it was applied: planned again whatever the task cap is now.
  const planned = planOnce(run.pipeline, await client.getRunDefinition(run.id));
  const plan = planned.ok ? planned.plan : { pipeline: run.pipeline, nodes: [], byPath: new Map() };
  return createRenderer({ json, tty: process.stdout.isTTY === true, plan, run: asRow(run) });
}

/** A live event as the renderers' change: enough of the task row to draw it. */
function toChange(live: LiveEvent): RunChange | undefined {
  if (live.kind === "log") return { type: "line", path: live.task, line: live.line };
  if (live.kind === "progress") return { type: "progress", path: live.task, done: live.done, total: live.total };
  const event = live.event;
  if (event.type === "run.started") return { type: "run", state: "running", reason: null };
  if (event.type === "run.finished") return { type: "run", state: String(event.data.state) as RunRow["state"], reason: (event.data.reason as string | null) ?? null };
  if (event.type === "task.retry_scheduled" && event.task_path) {
    return { type: "retry", path: event.task_path, attempt: Number(event.data.next_attempt), delayMs: Number(event.data.delay_ms) };
  }
  if (!event.type.startsWith("task.") || !event.task_path) return undefined;
  const state = (event.type === "task.started" ? "running" : event.type === "task.finished" ? event.data.state : event.type === "task.kept" ? "succeeded" : event.type.slice(5)) as TaskState;
  const row = blankTaskRow(event.run_id, event.task_path, event.attempt ?? 1, {
    state,
    exit_code: (event.data.exit_code as number | null | undefined) ?? null,
    reason: (event.data.reason as string | null | undefined) ?? null,
    started_at: event.type === "task.started" ? event.ts : null,
    finished_at: state === "running" ? null : event.ts,
  });
  return { type: "task", row };
}

/** The last lines of each failed task, for the summary. */
async function failedTails(client: SpireClient, run: RunObject): Promise<Map<string, LogLine[]>> {
  const tails = new Map<string, LogLine[]>();
  for (const task of run.tasks) {
    if (task.state !== "failed" && task.state !== "timed_out") continue;
    const lines = await lastLines(client, run.id, task.path, TAIL_LINES).catch(() => []);
    tails.set(task.path, lines);
  }
  return tails;
}

/** The last `count` lines of a task's log, read page by page. */
async function lastLines(client: SpireClient, runId: string, task: string, count: number): Promise<LogLine[]> {
  let kept: LogLine[] = [];
  let cursor: string | null = null;
  do {
    const page: { lines: LogLine[]; next_cursor: string | null } = await client.readLogs(runId, task, { limit: 5000, ...(cursor !== null ? { cursor } : {}) });
    kept = [...kept, ...page.lines].slice(-count);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return kept;
}

function asRow(run: RunObject): RunRow {
  return {
    id: run.id,
    namespace: run.namespace,
    pipeline: run.pipeline,
    state: run.state,
    trigger: run.trigger,
    args: run.args,
    definition: null,
    seed: run.seed,
    partition: run.partition,
    reason: run.reason,
    created_at: Date.parse(run.created_at),
    started_at: run.started_at ? Date.parse(run.started_at) : null,
    finished_at: run.finished_at ? Date.parse(run.finished_at) : null,
    warnings: run.warnings,
    errors: run.errors,
    metrics: run.metrics,
  };
}
