/**
 * Drives one run from start to end: asks the planner what is ready, starts
 * attempts under the parallelism limits, retries with backoff, applies
 * fail_fast, timeouts and cancel, and records every state change in the
 * store before acting on it or telling anyone (write-ahead).
 */
import { mkdir } from "node:fs/promises";
import type { Executor, AttemptReport, TaskHandle, LogLine } from "../exec/port.js";
import type { PlannedNode, TaskState } from "../plan/types.js";
import { Readiness } from "../plan/readiness.js";
import type { EventRow, RunRow, RunState, StateChange, Store, TaskRunRow } from "../store/port.js";
import { buildAttempt, attemptFiles } from "./attempt.js";
import type { PreparedRun } from "./prepared-run.js";
import { addCounts, emptyCounts } from "./rollup.js";
import { blankTaskRow } from "./task-row.js";
import type { Slots } from "./slots.js";

export interface RunDeps {
  store: Store;
  executor: Executor;
  dataDir: string;
  slots: Slots;
  nodePath: string;
  baseEnv: Record<string, string | undefined>;
  now?: () => number;
  /** Told of every stored event, after it is stored (the engine's live event stream). */
  publish?: (events: EventRow[]) => void;
}

export type RunChange =
  | { type: "run"; state: RunState; reason: string | null }
  | { type: "task"; row: TaskRunRow; tail?: LogLine[] }
  | { type: "retry"; path: string; attempt: number; delayMs: number }
  | { type: "progress"; path: string; done: number; total: number }
  | { type: "line"; path: string; line: LogLine };

export type RunListener = (change: RunChange) => void;

export class RunController {
  private readonly states = new Map<string, TaskState>();
  private readonly readiness: Readiness;
  private readonly attempts = new Map<string, number>();
  private readonly outputs = new Map<string, Record<string, string>>();
  private readonly handles = new Map<string, TaskHandle>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly retryReady: string[] = [];
  private readonly counts = emptyCounts();
  private inFlight = 0;
  /** Attempts between their slot and their process (writing task.started). */
  private starting = 0;
  private waitingForSlot = false;
  private stopReason: { state: RunState; reason: string } | null = null;
  private finished = false;
  private runTimer: NodeJS.Timeout | undefined;
  private resolveDone!: (row: RunRow) => void;
  private failure: unknown;
  readonly done: Promise<RunRow>;
  private readonly now: () => number;
  private readonly wantLines: boolean;

  constructor(
    private readonly deps: RunDeps,
    private readonly prepared: PreparedRun,
    private readonly listener?: RunListener,
    options: { streamLines?: boolean } = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.wantLines = options.streamLines ?? false;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    for (const node of prepared.plan.nodes) if (node.type === "task") this.states.set(node.path, "pending");
    // A retry keeps the results that passed: those tasks start out succeeded.
    for (const [path, kept] of prepared.kept ?? []) {
      this.states.set(path, "succeeded");
      this.outputs.set(path, kept.outputs);
      addCounts(this.counts, kept);
    }
    this.readiness = new Readiness(prepared.plan, { failFast: prepared.pipeline.fail_fast, states: this.states });
  }

  /** Starts the run; `done` resolves with the final run row. */
  async start(): Promise<RunRow> {
    const startedAt = this.now();
    const kept: StateChange[] = [...(this.prepared.kept ?? new Map<string, TaskRunRow>())].map(([path, row]) => ({
      event: this.event("task.kept", { from_run: row.run_id }, path, 1),
      task: { ...row, run_id: this.runId, attempt: 1, reason: `kept from run ${row.run_id}`, log_file: row.log_file },
    }));
    await this.write([{ event: this.event("run.started", {}), run: { id: this.runId, state: "running", started_at: startedAt } }, ...kept]);
    this.listener?.({ type: "run", state: "running", reason: null });
    const timeout = this.prepared.pipeline.timeout;
    if (timeout !== undefined) {
      this.runTimer = setTimeout(() => this.stop("failed", `the run timed out after ${timeout} ms`), timeout);
    }
    this.pump();
    return this.done;
  }

  /** Cancels the run: running tasks get SIGTERM (then SIGKILL), nothing new starts. */
  cancel(reason = "canceled by user"): void {
    this.stop("canceled", reason);
  }

  private get runId(): string {
    return this.prepared.run.id;
  }

  private stop(state: RunState, reason: string): void {
    if (this.stopReason || this.finished) return;
    this.stopReason = { state, reason };
    for (const handle of this.handles.values()) handle.cancel(reason);
    for (const [path, timer] of this.retryTimers) {
      clearTimeout(timer);
      this.retryTimers.delete(path);
      this.inFlight--;
      this.settle(path, "canceled", reason);
    }
    this.retryReady.length = 0;
    this.pump();
  }

  /** Starts whatever is ready; finishes the run when nothing is left. Synchronous decisions, async writes. */
  private pump(): void {
    if (this.finished) return;
    if (this.stopReason) {
      for (const [path, state] of this.states) if (state === "pending") this.settle(path, "canceled", this.stopReason.reason);
      this.maybeFinish();
      return;
    }
    // Retries that finished waiting go first: they were started before anything now ready.
    this.startCandidates(this.retryReady.splice(0, this.freePlaces()));
    for (;;) {
      const steps = this.readiness.next(this.freePlaces());
      for (const { path, reason } of steps.skip) this.settle(path, "skipped", reason);
      const started = this.startCandidates(steps.start);
      if (steps.skip.length === 0 && started === 0) break;
    }
    if (this.freePlaces() === 0 && !this.waitingForSlot && this.deps.slots.inUse >= this.deps.slots.capacity) {
      // Woken when any run of this engine releases a slot.
      this.waitingForSlot = true;
      this.deps.slots.onFree(() => {
        this.waitingForSlot = false;
        this.pump();
      });
    }
    this.maybeFinish();
  }

  /** How many more attempts may start now: the engine's free slots, within the pipeline's own parallelism. */
  private freePlaces(): number {
    const engineFree = this.deps.slots.capacity - this.deps.slots.inUse;
    const limit = this.prepared.pipeline.parallelism;
    const ownFree = limit === undefined ? Infinity : limit - this.handles.size - this.starting;
    return Math.max(0, Math.min(engineFree, ownFree));
  }

  private startCandidates(candidates: string[]): number {
    let started = 0;
    for (const [index, path] of candidates.entries()) {
      if (!this.deps.slots.tryAcquire()) {
        // Not started: a retry goes back to its queue; a fresh task is still pending and comes back from next().
        for (const rest of candidates.slice(index)) if ((this.attempts.get(rest) ?? 0) > 0) this.retryReady.push(rest);
        break;
      }
      this.setState(path, "running");
      this.inFlight++;
      this.starting++;
      started++;
      const attempt = (this.attempts.get(path) ?? 0) + 1;
      this.attempts.set(path, attempt);
      void this.runAttempt(this.prepared.plan.byPath.get(path)!, attempt).catch((error) => this.fail(error));
    }
    return started;
  }

  private setState(path: string, state: TaskState): void {
    this.states.set(path, state);
    this.readiness.update(path, state);
  }

  private async runAttempt(node: PlannedNode, attempt: number): Promise<void> {
    const build = buildAttempt({
      prepared: this.prepared,
      node,
      attempt,
      dataDir: this.deps.dataDir,
      nodePath: this.deps.nodePath,
      baseEnv: this.deps.baseEnv,
      outputs: this.outputs,
    });
    const row = this.taskRow(node.path, attempt, { state: "running", started_at: this.now() });
    if (!build.ok) row.log_file = null;
    // Write-ahead: the attempt is on record before its process exists. Its artifact
    // folder is made meanwhile, so that a task can always write to $SPIRE_ARTIFACTS.
    const files = attemptFiles(this.deps.dataDir, this.runId, node.path, attempt);
    await Promise.all([
      this.write([{ event: this.event("task.started", { argv: build.ok ? build.spec.argv : null }, node.path, attempt), task: row }]),
      build.ok ? mkdir(files.artifactsDir, { recursive: true }) : undefined,
    ]);
    this.starting--;
    this.listener?.({ type: "task", row });
    if (!build.ok) {
      this.deps.slots.release();
      this.attemptEnded(node, attempt, row, failedToStart(row, build.reason, this.now()));
      return;
    }
    if (this.stopReason) {
      this.deps.slots.release();
      this.attemptEnded(node, attempt, row, failedToStart(row, this.stopReason.reason, this.now(), "canceled"));
      return;
    }
    const handle = this.deps.executor.launch(build.spec, {
      onProgress: (done, total) => this.listener?.({ type: "progress", path: node.path, done, total }),
      ...(this.wantLines ? { onLine: (line: LogLine) => this.listener?.({ type: "line", path: node.path, line }) } : {}),
    });
    this.handles.set(node.path, handle);
    const report = await handle.done;
    this.handles.delete(node.path);
    this.deps.slots.release();
    this.attemptEnded(node, attempt, row, report);
  }

  private attemptEnded(node: PlannedNode, attempt: number, started: TaskRunRow, report: AttemptReport): void {
    const final: TaskRunRow = {
      ...started,
      state: report.state,
      exit_code: report.exitCode,
      signal: report.signal,
      reason: report.reason,
      pid: report.pid,
      started_at: report.pid === null ? started.started_at : report.startedAt,
      finished_at: report.finishedAt,
      warnings: report.warnings,
      errors: report.errors,
      metrics: report.metrics,
      outputs: report.outputs,
    };
    const retries = node.def.retries;
    const retryable = (report.state === "failed" || report.state === "timed_out") && !this.stopReason;
    const willRetry = retryable && retries !== undefined && attempt <= retries.max;
    const changes: StateChange[] = [{ event: this.event("task.finished", { state: report.state, exit_code: report.exitCode, reason: report.reason }, node.path, attempt), task: final }];
    const delayMs = willRetry ? Math.min(retries.backoff * retries.factor ** (attempt - 1), retries.max_delay) : 0;
    if (willRetry) changes.push({ event: this.event("task.retry_scheduled", { delay_ms: delayMs, next_attempt: attempt + 1 }, node.path, attempt) });
    void this.write(changes)
      .then(() => {
        this.listener?.({ type: "task", row: final, tail: report.tail });
        if (willRetry) {
          this.listener?.({ type: "retry", path: node.path, attempt: attempt + 1, delayMs });
          // The task stays "running" for the planner while it waits: it is not done.
          this.retryTimers.set(
            node.path,
            setTimeout(() => {
              this.retryTimers.delete(node.path);
              this.inFlight--;
              this.retryReady.push(node.path);
              this.pump();
            }, delayMs),
          );
          return;
        }
        this.inFlight--;
        this.setState(node.path, report.state);
        addCounts(this.counts, final);
        if (report.outputs) this.outputs.set(node.path, report.outputs);
        if (report.state !== "succeeded" && !node.def.allow_failure && this.prepared.pipeline.fail_fast) {
          for (const handle of this.handles.values()) handle.cancel(`fail_fast: ${node.path} failed`);
        }
        this.pump();
      })
      .catch((error) => this.fail(error));
  }

  /** Records a task that ends without running (skipped, or canceled while pending). */
  private settle(path: string, state: TaskState, reason: string): void {
    this.setState(path, state);
    const attempt = Math.max(1, this.attempts.get(path) ?? 1);
    const row = this.taskRow(path, attempt, { state, reason, finished_at: this.now() });
    this.inFlight++;
    void this.write([{ event: this.event(`task.${state}`, { reason }, path, attempt), task: row }])
      .then(() => {
        this.inFlight--;
        this.listener?.({ type: "task", row });
        this.maybeFinish();
      })
      .catch((error) => this.fail(error));
  }

  private maybeFinish(): void {
    if (this.finished || this.inFlight > 0) return;
    const outcome = this.readiness.outcome();
    if (outcome === "running" && !this.stopReason) return;
    if ([...this.states.values()].some((state) => state === "pending" || state === "running")) return;
    this.finished = true;
    if (this.runTimer) clearTimeout(this.runTimer);
    const state: RunState = this.stopReason?.state ?? (outcome === "running" ? "failed" : outcome);
    const reason = this.stopReason?.reason ?? null;
    const patch = { id: this.runId, state, reason, finished_at: this.now(), ...this.counts };
    void this.write([{ event: this.event("run.finished", { state, reason }), run: patch }])
      .then(async () => {
        this.listener?.({ type: "run", state, reason });
        const stored = await this.deps.store.getRun(this.runId);
        this.resolveDone(stored?.run ?? { ...this.prepared.run, ...patch });
      })
      .catch((error) => this.fail(error));
  }

  private fail(error: unknown): void {
    // A store failure mid-run: stop everything; the run's row stays as last written
    // and is marked interrupted at the next start (crash recovery).
    if (this.failure) return;
    this.failure = error;
    this.finished = true;
    for (const handle of this.handles.values()) handle.cancel("internal error: " + String(error));
    this.resolveDone({ ...this.prepared.run, state: "interrupted", reason: `internal error: ${String(error)}` });
  }

  private async write(changes: StateChange[]): Promise<EventRow[]> {
    const events = await this.deps.store.write(changes);
    this.deps.publish?.(events);
    return events;
  }

  private event(type: string, data: Record<string, unknown>, taskPath: string | null = null, attempt: number | null = null) {
    return { run_id: this.runId, ts: this.now(), type, task_path: taskPath, attempt, data };
  }

  private taskRow(path: string, attempt: number, fields: Partial<TaskRunRow>): TaskRunRow {
    return blankTaskRow(this.runId, path, attempt, { log_file: attemptFiles(this.deps.dataDir, this.runId, path, attempt).logFile, ...fields });
  }

}

function failedToStart(row: TaskRunRow, reason: string, now: number, state: "failed" | "canceled" = "failed"): AttemptReport {
  return {
    state,
    exitCode: null,
    signal: null,
    reason,
    pid: null,
    startedAt: row.started_at ?? now,
    finishedAt: now,
    warnings: 0,
    errors: state === "failed" ? 1 : 0,
    metrics: {},
    outputs: {},
    tail: [],
  };
}
