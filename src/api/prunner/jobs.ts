/**
 * A Spire run in prunner's shape (a "job"): the fields and types of
 * prunner's server (`pipelineJobResult`, `taskResult`), times in RFC 3339
 * without fractions as prunner writes them for PHP's json_decode, and the
 * fields prunner leaves out when empty left out too. The job id is the run id.
 */
import type { PipelineDef } from "../../definitions/schema.js";
import type { RunObject, TaskObject } from "../../engine/reads/run-object.js";
import type { TaskState } from "../../plan/types.js";

export type PrunnerTaskStatus = "waiting" | "running" | "skipped" | "done" | "error" | "canceled";

export interface PrunnerTask {
  name: string;
  dependsOn?: string[];
  status: PrunnerTaskStatus;
  start?: string;
  end?: string;
  skipped: boolean;
  exitCode: number;
  errored: boolean;
  error?: string;
}

export interface PrunnerJob {
  id: string;
  pipeline: string;
  tasks: PrunnerTask[];
  completed: boolean;
  canceled: boolean;
  errored: boolean;
  created: string;
  start?: string;
  end?: string;
  lastError?: string;
  variables?: Record<string, unknown>;
  user: string;
}

const STATUS: Record<TaskState, PrunnerTaskStatus> = {
  pending: "waiting",
  running: "running",
  succeeded: "done",
  failed: "error",
  timed_out: "error",
  interrupted: "error",
  canceled: "canceled",
  skipped: "skipped",
};

const FINISHED = new Set<RunObject["state"]>(["succeeded", "failed", "canceled", "skipped", "interrupted"]);

/** RFC 3339 in UTC, whole seconds: `2026-12-05T23:33:13Z`. */
export function prunnerTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

/** `name`: the pipeline's name as the prunner API shows it; `definition`: the run's own, for each task's dependencies. */
export function jobOf(run: RunObject, name: string, definition?: PipelineDef): PrunnerJob {
  const tasks = run.tasks.map((task) => taskOf(task, definition));
  const failed = tasks.filter((task) => task.errored);
  const last = failed.at(-1);
  const lastError = last?.error ?? (run.state === "failed" || run.state === "interrupted" ? run.reason ?? undefined : undefined);
  const actor = run.trigger["actor"];
  return {
    id: run.id,
    pipeline: name,
    tasks,
    completed: FINISHED.has(run.state),
    canceled: run.state === "canceled",
    errored: failed.length > 0 || run.state === "failed" || run.state === "interrupted",
    created: prunnerTime(run.created_at),
    ...(run.started_at ? { start: prunnerTime(run.started_at) } : {}),
    ...(run.finished_at ? { end: prunnerTime(run.finished_at) } : {}),
    ...(lastError ? { lastError } : {}),
    ...(Object.keys(run.args).length > 0 ? { variables: run.args } : {}),
    user: typeof actor === "string" ? actor : "",
  };
}

function taskOf(task: TaskObject, definition: PipelineDef | undefined): PrunnerTask {
  const status = STATUS[task.state];
  const errored = status === "error";
  const needs = definition?.tasks[task.path]?.needs ?? [];
  return {
    name: task.path,
    ...(needs.length > 0 ? { dependsOn: needs } : {}),
    status,
    ...(task.started_at ? { start: prunnerTime(task.started_at) } : {}),
    ...(task.finished_at ? { end: prunnerTime(task.finished_at) } : {}),
    skipped: task.state === "skipped",
    exitCode: task.exit_code ?? 0,
    errored,
    ...(errored ? { error: task.reason ?? (task.exit_code !== null ? `exit status ${task.exit_code}` : task.state) } : {}),
  };
}
