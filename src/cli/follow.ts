/**
 * Following a run the engine executes: its Server-Sent Events become the
 * same live tree (or plain lines, or final JSON) as a local run. Ctrl-C
 * asks the engine to cancel the run and keeps following until it has ended.
 */
import type { LogLine } from "../exec/port.js";
import type { RunChange } from "../engine/run-controller.js";
import type { RunObject } from "../engine/run-object.js";
import type { PipelineDef } from "../spec/schema.js";
import { ALREADY_CHECKED, planPipeline } from "../plan/plan.js";
import type { EventRow, RunRow } from "../store/port.js";
import { blankTaskRow } from "../engine/task-row.js";
import type { TaskState } from "../plan/types.js";
import { CliError, EXIT } from "./errors.js";
import type { EngineClient } from "./client.js";
import { createRenderer, type Renderer } from "./render/run-renderer.js";

export interface FollowOptions {
  json: boolean;
  /** Shows the run instead of the tree, plain lines or JSON; it is given the tasks' log lines too (an ad hoc job prints its command's output). */
  renderer?: Renderer;
}

export async function followRun(client: EngineClient, run: RunObject, options: FollowOptions): Promise<number> {
  const renderer = options.renderer ?? (await defaultRenderer(client, run, options.json));
  let interrupted = false;
  const onSignal = () => {
    if (!interrupted) renderer.note("Ctrl-C: canceling the run, waiting for its tasks to stop…");
    interrupted = true;
    void client.call("POST", `/runs/${run.id}/cancel`).catch(() => undefined);
  };
  process.on("SIGINT", onSignal);
  try {
    await streamEvents(client, run.id, options.renderer !== undefined, (change) => renderer.onChange(change));
  } finally {
    process.off("SIGINT", onSignal);
  }
  const final = await client.call<RunObject>("GET", `/runs/${run.id}`);
  if (final.state === "running" || final.state === "queued") {
    throw new CliError(`lost the engine's event stream; run ${run.id} is still ${final.state}`, EXIT.unreachable, `Follow it again with: spire logs -f ${run.id}   (or see it with: spire show ${run.id})`);
  }
  await renderer.finish(final, [], options.renderer ? undefined : await failedTails(client, final));
  if (interrupted) return EXIT.interrupted;
  return final.state === "succeeded" ? EXIT.ok : EXIT.runFailed;
}

async function defaultRenderer(client: EngineClient, run: RunObject, json: boolean): Promise<Renderer> {
  // The tree of what this run runs: its own definition, whatever the pipeline has become since.
  const { definition } = await client.call<{ definition: PipelineDef }>("GET", `/runs/${run.id}/definition`);
  const planned = planPipeline(run.pipeline, definition, ALREADY_CHECKED);
  const plan = planned.ok ? planned.plan : { pipeline: run.pipeline, nodes: [], byPath: new Map() };
  return createRenderer({ json, tty: process.stdout.isTTY === true, plan, run: asRow(run) });
}

/**
 * Reads the run's SSE stream until `run.finished` (resuming with Last-Event-ID
 * if the connection drops). Log lines only when asked for: the tree shows
 * states and progress, and the failed tasks' last lines are read at the end.
 * After a dropped connection only new lines are asked for, so none comes twice.
 */
async function streamEvents(client: EngineClient, runId: string, lines: boolean, onChange: (change: RunChange) => void): Promise<void> {
  let lastId = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const logs = !lines ? "none" : attempt === 0 ? "all" : "new";
    const response = await client.fetch("GET", `/runs/${runId}/events?logs=${logs}${lastId ? `&after=${lastId}` : ""}`);
    if (!response.ok || !response.body) throw await client.failure(response);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = parseFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (!frame) continue;
        if (frame.event === "log") {
          const { task, ts, stream, line } = JSON.parse(frame.data) as { task: string } & LogLine;
          if (lines) onChange({ type: "line", path: task, line: { ts, stream, line } });
          continue;
        }
        if (frame.event === "progress") {
          const { task, done, total } = JSON.parse(frame.data) as { task: string; done: number; total: number };
          onChange({ type: "progress", path: task, done, total });
          continue;
        }
        const event = JSON.parse(frame.data) as EventRow;
        lastId = event.seq;
        const change = toChange(event);
        if (change) onChange(change);
        if (event.type === "run.finished") return;
      }
    }
  }
}

function parseFrame(text: string): { event: string; data: string } | undefined {
  let event = "message";
  const data: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length ? { event, data: data.join("\n") } : undefined;
}

/** A stored event as the renderers' change: enough of the task row to draw it. */
function toChange(event: EventRow): RunChange | undefined {
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

/** The last lines of each failed task, for the summary, read through the API. */
async function failedTails(client: EngineClient, run: RunObject): Promise<Map<string, LogLine[]>> {
  const tails = new Map<string, LogLine[]>();
  for (const task of run.tasks) {
    if (task.state !== "failed" && task.state !== "timed_out") continue;
    const text = await client.call<string>("GET", `/runs/${run.id}/tasks/${encodeURIComponent(task.path)}/logs?limit=1000`, undefined, { raw: true }).catch(() => "");
    tails.set(
      task.path,
      text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine)
        .slice(-10),
    );
  }
  return tails;
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
