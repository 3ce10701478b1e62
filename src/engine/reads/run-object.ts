/**
 * The run object of SPEC §5: what `GET /runs/{id}`, `spire show --json` and
 * `spire run --json` return. Built from stored rows only, so every client
 * sees the same thing. Field names are fixed by the spec.
 */
import { seedOf } from "../runs/seed.js";
import type { MetricAggregate, TaskMessage } from "../../exec/port.js";
import { planOnce } from "../../plan/plan-cache.js";
import { nodeState } from "../../plan/ready.js";
import type { Plan, TaskState } from "../../plan/types.js";
import type { PipelineDef } from "../../definitions/schema.js";
import type { RunRow, RunState, TaskRunRow } from "../../store/port.js";
import type { RunSummary } from "../service.js";
import { latestAttempts } from "../runs/task-row.js";
import { addCounts, emptyCounts, type Counts } from "../runs/rollup.js";

export interface TaskObject {
  name: string;
  path: string;
  state: TaskState;
  attempts: number;
  exit_code: number | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  cpu_ms: number | null;
  peak_rss_bytes: number | null;
  warnings: number;
  errors: number;
  metrics: Record<string, MetricAggregate>;
  outputs: Record<string, string>;
  reason: string | null;
  signal: string | null;
  /** The texts of the first 100 warnings and first 100 errors of its last attempt, in order (`warnings` and `errors` count them all). */
  messages: MessageObject[];
  /** The worker its last attempt ran on; null when it never started, or ran before this was recorded. */
  worker: string | null;
}

/** A TaskMessage with its time as ISO 8601, like every time of the run object. */
export interface MessageObject {
  level: TaskMessage["level"];
  text: string;
  ts: string;
  stream: TaskMessage["stream"];
}

export interface GroupObject {
  path: string;
  type: "group" | "array";
  state: TaskState;
  warnings: number;
  errors: number;
  metrics: Record<string, MetricAggregate>;
}

export interface RunObject {
  id: string;
  namespace: string;
  pipeline: string;
  state: RunRow["state"];
  reason: string | null;
  trigger: RunRow["trigger"];
  args: Record<string, unknown>;
  partition: string | null;
  /** SPIRE_SEED of its attempts. */
  seed: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  warnings: number;
  errors: number;
  metrics: Record<string, MetricAggregate>;
  /** CPU of every attempt of every task, summed; null when none was measured. */
  cpu_ms: number | null;
  /** The highest peak RSS of any one attempt (tasks that ran side by side may together have used more); null when none was measured. */
  peak_rss_bytes: number | null;
  tasks: TaskObject[];
  groups: GroupObject[];
}

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const span = (from: number | null, to: number | null) => (from === null || to === null ? null : to - from);

/** Plans of recent runs: a run's definition never changes, and planning is most of a GET /runs/{id}. */
const planCache = new Map<string, Plan | undefined>();
const PLAN_CACHE_SIZE = 500;

export function planOfRun(run: RunRow): Plan | undefined {
  if (planCache.has(run.id)) return planCache.get(run.id);
  const planned = planOnce(run.pipeline, run.definition as PipelineDef);
  const plan = planned.ok ? planned.plan : undefined;
  rememberRunPlan(run.id, plan);
  return plan;
}

/** A new run's plan, as it was made with it: its first reads (its follower's, the API's answer) need not plan it again. */
export function rememberRunPlan(id: string, plan: Plan | undefined): void {
  if (planCache.size >= PLAN_CACHE_SIZE) planCache.delete(planCache.keys().next().value!);
  planCache.set(id, plan);
}

export function toRunObject(run: RunRow, taskRows: TaskRunRow[], plan: Plan | undefined = planOfRun(run)): RunObject {
  const latest = latestAttempts(taskRows);
  const paths = plan ? plan.nodes.filter((node) => node.type === "task").map((node) => node.path) : [...latest.keys()];
  const ended = run.state !== "queued" && run.state !== "running" ? run.state : undefined;
  const tasks = paths.map((path) => taskObject(path, latest.get(path), plan, ended));
  const states = new Map(tasks.map((task) => [task.path, task.state] as const));
  const groups: GroupObject[] = [];
  for (const node of plan?.nodes ?? []) {
    if (node.type === "task") continue;
    const counts = emptyCounts();
    for (const task of tasks) if (task.path.startsWith(`${node.path}/`) || task.path.startsWith(`${node.path}[`)) addCounts(counts, task);
    groups.push({ path: node.path, type: node.type, state: nodeState(plan!, states, node.path), ...counts });
  }
  const counts: Counts = { warnings: run.warnings, errors: run.errors, metrics: run.metrics };
  return { ...toRunSummary(run), args: run.args, partition: run.partition, seed: seedOf(run), ...counts, ...resourceTotals(taskRows), tasks, groups };
}

function resourceTotals(taskRows: readonly TaskRunRow[]): Pick<RunObject, "cpu_ms" | "peak_rss_bytes"> {
  let cpu: number | null = null;
  let peak: number | null = null;
  for (const row of taskRows) {
    if (row.cpu_ms !== null) cpu = (cpu ?? 0) + row.cpu_ms;
    if (row.peak_rss_bytes !== null) peak = Math.max(peak ?? 0, row.peak_rss_bytes);
  }
  return { cpu_ms: cpu, peak_rss_bytes: peak };
}

/**
 * A task of an ended run that never started (the run was canceled or
 * skipped while queued, or stopped by a fault of the engine) has no row,
 * or a pending one: it is shown as the run's end left it, not as pending.
 */
function neverStarted(runState: RunState): Pick<TaskObject, "state" | "reason"> {
  return { state: runState === "canceled" ? "canceled" : "skipped", reason: `not started: the run ended ${runState}` };
}

function taskObject(path: string, row: TaskRunRow | undefined, plan: Plan | undefined, runEnded?: RunState): TaskObject {
  const name = plan?.byPath.get(path)?.name ?? path.split("/").pop() ?? path;
  const left = runEnded !== undefined && (row === undefined || row.state === "pending") ? neverStarted(runEnded) : undefined;
  return {
    name,
    path,
    state: left?.state ?? row?.state ?? "pending",
    attempts: row && row.started_at !== null ? row.attempt : 0,
    exit_code: row?.exit_code ?? null,
    started_at: iso(row?.started_at ?? null),
    finished_at: iso(row?.finished_at ?? null),
    duration_ms: span(row?.started_at ?? null, row?.finished_at ?? null),
    cpu_ms: row?.cpu_ms ?? null,
    peak_rss_bytes: row?.peak_rss_bytes ?? null,
    warnings: row?.warnings ?? 0,
    errors: row?.errors ?? 0,
    metrics: row?.metrics ?? {},
    outputs: row?.outputs ?? {},
    reason: left?.reason ?? row?.reason ?? null,
    signal: row?.signal ?? null,
    messages: row?.messages?.map(messageObject) ?? [],
    worker: row?.worker ?? null,
  };
}

function messageObject(message: TaskMessage): MessageObject {
  return { level: message.level, text: message.text, ts: new Date(message.ts).toISOString(), stream: message.stream };
}

/** A run without its tasks, for lists. */
export function toRunSummary(run: RunRow): RunSummary {
  return {
    id: run.id,
    namespace: run.namespace,
    pipeline: run.pipeline,
    state: run.state,
    reason: run.reason,
    trigger: run.trigger,
    created_at: new Date(run.created_at).toISOString(),
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
    duration_ms: span(run.started_at, run.finished_at),
    warnings: run.warnings,
    errors: run.errors,
  };
}
