/**
 * Drives one run from start to end: asks the planner what is ready, starts
 * attempts under the parallelism limits, retries with backoff, applies
 * fail_fast, timeouts and cancel, and records every state change in the
 * store before acting on it or telling anyone (write-ahead).
 */
import type { TaskHandle, LogLine, LaunchEvents } from "../../exec/port.js";
import type { PlannedNode, TaskState } from "../../plan/types.js";
import { Readiness } from "../../plan/readiness.js";
import { attemptLog } from "../../logs/port.js";
import { countsAsFailure, failFastReason, hasHandlerCondition, isFailed } from "../../plan/conditions.js";
import type { EventRow, RunRow, RunState, StateChange, TaskRunRow } from "../../store/port.js";
import { buildAttempt, attemptFiles, attemptId } from "./attempt.js";
import { DEFAULT_ARTIFACT_LIMIT_BYTES, RunArtifacts } from "../artifacts/artifacts.js";
import type { PreparedRun } from "./prepared-run.js";
import type { PipelineDef } from "../../definitions/schema.js";
import { resumedData, storedFailFast, type Reattached, type ResumePoint } from "../recovery/resume.js";
import { addCounts, emptyCounts } from "./rollup.js";
import { blankTaskRow, endedRow, type AttemptEnding } from "./task-row.js";
import { explainEnding } from "./runner-help.js";
import { keptChanges } from "./kept-logs.js";
import { compatEnding } from "./compat-ending.js";
import { failureEnv, firstFailure, type FailureRecord } from "./failure-details.js";
import { TaskMachines } from "./task-machines.js";
import { failedToStart, interrupted, maskAll } from "./attempt-endings.js";
import { runEnd, type RunEnd, type RunEndInput } from "./run-end.js";
import { launchOnWorker, PlacementEnded, waitForWorker } from "./worker-wait.js";
import { artifactPatternProblem } from "../../definitions/check-artifacts.js";
import { SLOT_ONLY, type TaskRequest } from "../resources/reservations.js";
import { RunWrites } from "./run-writes.js";
import { retryDelay } from "./attempt-retry.js";
import { RunTakenOverError } from "../../store/errors.js";
import { interruptAfter } from "./run-interruption.js";
import { TaskLockWaits } from "./shared-task-locks.js";
import type { RunDeps, RunListener } from "./run-deps.js";
export type { RunChange, RunDeps, RunListener } from "./run-deps.js";

export class RunController {
  private readonly states = new Map<string, TaskState>();
  private readonly readiness: Readiness;
  private readonly attempts = new Map<string, number>();
  private readonly outputs = new Map<string, Record<string, string>>();
  private readonly handles = new Map<string, TaskHandle>();
  /** Attempts interruptRetryable stopped: they end interrupted, not canceled. */
  private readonly interrupting = new Set<string>();
  /** Attempts waiting for a worker with room: a stop aborts the wait. */
  private readonly placing = new Map<string, AbortController>();
  /** With engines sharing the store, an attempt takes its locks there too, waiting while other engines' runs or tasks hold them. */
  private readonly lockWaits: TaskLockWaits;
  /** Which tasks run on workers, and on what (see task-machines.ts). */
  private readonly machines: TaskMachines;
  /** A task of this pump found no engine slot while others went to workers: woken when a slot frees. */
  private noSlotThisPump = false;
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly retryReady: string[] = [];
  private readonly counts = emptyCounts();
  /** Tasks that failed, for the handlers (on_fail) that start after them. */
  private readonly failures = new Map<string, FailureRecord>();
  /** Why each interrupted task was interrupted, for the run's reason. */
  private readonly interruptions = new Map<string, string>();
  private inFlight = 0;
  /** Set by the first failure under fail_fast: nothing launches after it. */
  private failFastReason: string | null = null;
  /** Attempts between their slot and their process (writing task.started). */
  private starting = 0;
  private waitingForSlot = false;
  /** Set when a task of this pump was refused for its cpus, memory or locks: the run then queues for them. */
  private refusedThisPump = false;
  private stopReason: { state: RunState; reason: string } | null = null;
  private finished = false;
  private runTimer: NodeJS.Timeout | undefined;
  private resolveDone!: (row: RunRow) => void;
  private failure: { why: string } | undefined; // why fail() stopped the run: no attempt is launched after it
  interruption: Promise<boolean> | undefined; // after a fault not the store's: whether the run's end (interrupted) got stored
  /** The run ended here only because another engine took it over, or it was handed to one (see letGo). */
  takenOver: RunTakenOverError | undefined;

  /** It stopped on a failure (not for another engine): after the store's its row stays as last written, for the engine's next start; after another fault, see `interruption`. */
  get gaveUp(): boolean {
    return this.failure !== undefined && this.takenOver === undefined;
  }
  readonly done: Promise<RunRow>;
  private readonly now: () => number;
  private readonly wantLines: boolean;
  private readonly resumeFrom: ResumePoint | undefined;
  private readonly artifacts: RunArtifacts;
  private readonly writes: RunWrites;
  /** When this controller started the run (a resumed run's start is in its row). */
  private startedAt: number | undefined;

  /** `resume`: carry on a run a previous engine started (see resume()); the run's stored rows are its starting point. */
  constructor(
    private readonly deps: RunDeps,
    private readonly prepared: PreparedRun,
    private readonly listener?: RunListener,
    options: { streamLines?: boolean; resume?: ResumePoint } = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.wantLines = options.streamLines ?? false;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.writes = new RunWrites(deps.store, deps.publish, prepared.unstored);
    this.artifacts = new RunArtifacts({ dataDir: deps.dataDir, limitBytes: deps.artifactLimitBytes ?? DEFAULT_ARTIFACT_LIMIT_BYTES, nodePath: deps.nodePath, baseEnv: deps.baseEnv, now: this.now, shared: deps.store.shared, spares: deps.spareRunFolders }, prepared);
    for (const node of prepared.plan.nodes) if (node.type === "task") this.states.set(node.path, "pending");
    // A retry keeps the results that passed: those tasks start out succeeded.
    for (const [path, kept] of prepared.kept ?? []) {
      this.states.set(path, "succeeded");
      this.outputs.set(path, kept.outputs);
      addCounts(this.counts, kept);
    }
    this.resumeFrom = options.resume;
    if (options.resume) this.loadResumePoint(options.resume);
    this.readiness = new Readiness(prepared.plan, { failFast: prepared.pipeline.fail_fast, states: this.states });
    this.machines = new TaskMachines(deps, prepared);
    this.lockWaits = new TaskLockWaits(deps.taskLocks, prepared.run.id, () => this.writes.startStored());
  }

  /** Starts the run; `done` resolves with the final run row. */
  async start(): Promise<RunRow> {
    this.begin().catch((error) => this.fail(error));
    return this.done;
  }

  private async begin(): Promise<void> {
    const startedAt = this.now();
    // Each kept row names its log in this run's own folder: retention may remove the run it came from. A stop asked meanwhile is stored after the start.
    const kept = this.prepared.kept ? await this.writes.startAfter(keptChanges(this.prepared.kept, this.runId, this.deps.dataDir, startedAt)) : [];
    this.startedAt = startedAt;
    // Stored with the first task's start, which pump() asks for now (RunWrites); no task launches before its own start is stored.
    this.writes.start([{ event: this.event("run.started", {}), run: { id: this.runId, state: "running", started_at: startedAt } }, ...kept]);
    this.timeOut(startedAt);
    this.pump();
    await this.writes.startStored();
    this.listener?.({ type: "run", state: "running", reason: null });
  }

  /**
   * Carries on a run whose engine stopped: finished tasks stay as stored,
   * running attempts are watched (adopted), recorded or marked interrupted
   * (as recover.ts found them), waiting retries wait out what is left of
   * their delay, and pending tasks start when their dependencies allow.
   * Nothing is launched twice: only pending tasks and due retries start.
   */
  async resume(): Promise<RunRow> {
    this.carryOn().catch((error) => this.fail(error));
    return this.done;
  }

  private async carryOn(): Promise<void> {
    const point = this.resumeFrom;
    if (!point) throw new Error("RunController.resume: constructed without a resume point");
    await this.write([{ event: this.event("run.resumed", resumedData(point)) }]);
    this.listener?.({ type: "run", state: "running", reason: null });
    // Set before any attempt is settled: an attempt that ends in a stopping run is not retried.
    this.stopReason = point.stop;
    for (const [path, delayMs] of point.retries) {
      this.inFlight++;
      this.scheduleRetry(path, delayMs);
    }
    for (const [path, { row, how }] of point.running) this.reattach(path, row, how);
    this.timeOut(this.prepared.run.started_at ?? this.now());
    if (point.stop) this.halt(point.stop.reason);
    else if (this.prepared.pipeline.fail_fast) {
      this.failFastReason = storedFailFast(point, this.prepared.plan);
      if (this.failFastReason !== null) this.cancelInFlight(this.failFastReason);
    }
    this.pump();
  }

  /** The pipeline's `timeout`, counted from the run's start. */
  private timeOut(startedAt: number): void {
    const timeout = this.prepared.pipeline.timeout;
    if (timeout === undefined) return;
    this.runTimer = setTimeout(() => this.stop("failed", `the run timed out after ${timeout} ms`), Math.max(0, timeout - (this.now() - startedAt)));
  }

  /** States, attempts, outputs and counts as stored; tasks still in progress count as running for the planner. */
  private loadResumePoint(point: ResumePoint): void {
    for (const [path, attempt] of point.attempts) this.attempts.set(path, attempt);
    for (const [path, row] of point.done) {
      this.states.set(path, row.state);
      this.noteResult(row);
    }
    for (const path of [...point.retries.keys(), ...point.running.keys()]) this.states.set(path, "running");
  }

  private reattach(path: string, row: TaskRunRow, how: Reattached): void {
    const node = this.prepared.plan.byPath.get(path)!;
    this.inFlight++;
    if (how.kind === "ended") return this.attemptEnded(node, row.attempt, row, how.report);
    if (how.kind === "lost") return this.attemptEnded(node, row.attempt, row, interrupted(row, how.reason, how.pid, this.now()));
    if (how.kind !== "running") throw new Error(`attempt ${row.attempt} of ${path} cannot be reattached: ${how.kind}`);
    // It holds a slot, its resources and its locks like any running attempt, even beyond capacity: it is already running.
    const request = this.machines.requestOf(path);
    const slots = this.machines.slotsOf(path);
    slots.take(request);
    this.lockWaits.hold(path, row.attempt, request);
    const handle = how.adopt(this.attemptEvents(path, row.attempt), { cpus: request.cpus, memoryBytes: request.memoryBytes });
    this.handles.set(path, handle);
    void handle.done.then((report) => {
      this.handles.delete(path);
      slots.release(request);
      this.attemptEnded(node, row.attempt, row, report, this.machines.ranElsewhere(row));
    });
  }

  /** Cancels the run: running tasks get SIGTERM (then SIGKILL), nothing new starts. */
  cancel(reason = "canceled by user"): void {
    this.stop("canceled", reason);
  }

  /**
   * This engine lost touch with the store for most of the rescue time: another engine may take the run
   * over and run its tasks again. The attempts that have a retry left stop here now (interrupted: their
   * retry follows wherever the run goes on), so a task never runs here and there at once; the others
   * go on, since a take-over would not run them again. Returns how many were stopped.
   */
  interruptRetryable(reason: string): number {
    let stopped = 0;
    for (const [path, handle] of this.handles) {
      const retries = this.prepared.plan.byPath.get(path)?.def.retries;
      if (retries === undefined || (this.attempts.get(path) ?? 1) > retries.max) continue;
      this.interrupting.add(path);
      handle.cancel(reason);
      stopped++;
    }
    return stopped;
  }

  /** Another engine took the run over (or the store refused a write for that): its tasks here stop, nothing more is written. */
  letGo(error: RunTakenOverError): void {
    this.fail(error);
  }

  /** When every task under way waits for a worker (none runs, none is starting, no retry waits): the labels they wait for. */
  workerWaits(): string[][] | undefined {
    if (this.finished || this.stopReason || this.placing.size === 0 || this.handles.size > 0 || this.starting !== this.placing.size || this.retryTimers.size > 0) return undefined;
    return [...this.placing.keys()].map((path) => [...(this.prepared.plan.byPath.get(path)!.runsOn ?? [])]);
  }

  /** The definition the run was made with. */
  get definition(): PipelineDef {
    return this.prepared.pipeline;
  }

  private get runId(): string {
    return this.prepared.run.id;
  }

  private stop(state: RunState, reason: string): void {
    if (this.stopReason || this.finished) return;
    this.stopReason = { state, reason };
    // Stored before anything is canceled: an engine restarted meanwhile carries on stopping, not running. Unless it waits
    // for room on a full disk: what runs stops all the same (a task filling the disk is what one cancels).
    void this.writes.storedOrWaiting([{ event: this.event("run.stopping", { state, reason }) }]).then(() => this.halt(reason), (error) => this.fail(error));
  }

  /** Acts on a stop: cancels what runs and what waits; pending tasks are settled as canceled by pump(). */
  private halt(reason: string): void {
    if (this.finished) return;
    this.cancelInFlight(reason);
    this.pump();
  }

  /** Cancels running attempts and retries still waiting (their delay, or a slot). */
  private cancelInFlight(reason: string): void {
    for (const handle of this.handles.values()) handle.cancel(reason);
    for (const waiting of this.placing.values()) waiting.abort(new PlacementEnded("canceled", reason));
    this.lockWaits.stopAll();
    for (const [path, timer] of this.retryTimers) {
      clearTimeout(timer);
      this.retryTimers.delete(path);
      this.inFlight--;
      this.settle(path, "canceled", reason);
    }
    // Retries due but waiting for a slot are still "running" for the planner: they end here too.
    for (const path of this.retryReady.splice(0)) this.settle(path, "canceled", reason);
  }

  /** Starts whatever is ready; finishes the run when nothing is left. Synchronous decisions, async writes. */
  private pump(): void {
    if (this.finished) return;
    if (this.stopReason) {
      this.deps.slots.withdraw(this);
      for (const [path, state] of this.states) if (state === "pending") this.settle(path, "canceled", this.stopReason.reason);
      this.maybeFinish();
      return;
    }
    this.refusedThisPump = false;
    this.noSlotThisPump = false;
    // Retries that finished waiting go first: they were started before anything now ready.
    this.startCandidates(this.retryReady.splice(0, this.freePlaces()));
    for (;;) {
      const steps = this.readiness.next(this.freePlaces());
      for (const { path, reason } of steps.skip) this.settle(path, "skipped", reason);
      const started = this.startCandidates(steps.start);
      if (steps.skip.length === 0 && started === 0) break;
    }
    const slotsFull = this.deps.slots.inUse >= this.deps.slots.capacity;
    // Still in the queue for resources while a task was refused them, or while no slot was free to try.
    if (!this.refusedThisPump && !slotsFull) this.deps.slots.withdraw(this);
    if (((this.freePlaces() === 0 && slotsFull) || this.refusedThisPump || this.noSlotThisPump) && !this.waitingForSlot) {
      // Woken when any run of this engine releases a slot, resources or locks.
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
    // Tasks that go to workers do not wait for this machine's slots: each is offered, and a local one refused a slot waits.
    const engineFree = this.machines.anyRemote ? Infinity : this.deps.slots.capacity - this.deps.slots.inUse;
    const limit = this.prepared.pipeline.parallelism;
    const ownFree = limit === undefined ? Infinity : limit - this.handles.size - this.starting;
    return Math.max(0, Math.min(engineFree, ownFree));
  }

  private startCandidates(candidates: string[]): number {
    let started = 0;
    for (const [index, path] of candidates.entries()) {
      const request = this.machines.requestOf(path);
      const slots = this.machines.slotsOf(path);
      // A request this engine can never meet fails the task now rather than waiting forever.
      const never = request === SLOT_ONLY ? undefined : slots.beyond(request);
      const refusal = never === undefined ? slots.claim(request, this) : undefined;
      if (refusal === "no-slot" && this.machines.anyRemote) {
        // Others may still go to workers: this one stays pending (a retry waits in its queue) until a slot frees.
        if ((this.attempts.get(path) ?? 0) > 0) this.retryReady.push(path);
        this.noSlotThisPump = true;
        continue;
      }
      if (refusal === "no-slot") {
        // Not started: a retry goes back to its queue; a fresh task is still pending and comes back from next().
        for (const rest of candidates.slice(index)) if ((this.attempts.get(rest) ?? 0) > 0) this.retryReady.push(rest);
        break;
      }
      if (refusal === "busy") {
        // Its cpus, memory or locks are taken: it waits (the run queues with its request), and smaller tasks may go first.
        if (!this.refusedThisPump) slots.wait(this, request);
        this.refusedThisPump = true;
        if ((this.attempts.get(path) ?? 0) > 0) this.retryReady.push(path);
        continue;
      }
      this.setState(path, "running");
      this.inFlight++;
      this.starting++;
      started++;
      const attempt = (this.attempts.get(path) ?? 0) + 1;
      this.attempts.set(path, attempt);
      void this.runAttempt(this.prepared.plan.byPath.get(path)!, attempt, never === undefined ? request : undefined, never).catch((error) => this.fail(error));
    }
    return started;
  }

  private setState(path: string, state: TaskState): void {
    this.states.set(path, state);
    this.readiness.update(path, state);
  }

  /** `held`: what the attempt took (given back when it ends); `refused`: why it cannot start at all (it took nothing). */
  private async runAttempt(node: PlannedNode, attempt: number, held: TaskRequest | undefined, refused?: string): Promise<void> {
    const slots = this.machines.slotsOf(node.path);
    const waiting = (reason: string) => void this.write([{ event: this.event("task.waiting", { reason, runs_on: node.runsOn }, node.path, attempt) }]).catch((error) => this.fail(error));
    const unlocked = this.lockWaits.wanted(held) ? await this.lockWaits.take(node.path, attempt, held, waiting) : undefined;
    // A task for a worker waits here for one with room; `placed` is that room, given back with the slot.
    const placement =
      held && unlocked === undefined && this.machines.isRemote(node.path)
        ? await waitForWorker(this.deps.placement, node, this.machines.requestOf(node.path), this.placing, waiting)
        : undefined;
    const placed = placement && "placed" in placement ? placement.placed : undefined;
    const giveBack = () => {
      if (held) slots.release(held);
      placed?.release();
    };
    const machine = placed?.machine ?? this.machines.local;
    const build = buildAttempt({
      prepared: this.prepared,
      node,
      attempt,
      dataDir: machine.dataDir,
      machine,
      nodePath: machine.local ? this.deps.nodePath : machine.nodePath,
      baseEnv: machine.local ? this.deps.baseEnv : {},
      outputs: this.outputs,
    });
    // A failure handler learns what it handles (read before it is launched; best effort).
    const failure = build.ok ? firstFailure(node, this.failures) : undefined;
    if (build.ok && failure) Object.assign(build.spec.env, await failureEnv(failure, this.deps.logs));
    // A task for a worker that got none ran nowhere.
    const row = this.taskRow(node.path, attempt, { state: "running", started_at: this.now(), worker: placement && !placed ? null : machine.name });
    if (!build.ok) row.log_file = null;
    // Write-ahead: the attempt is on record before its process exists; its artifact folder is made meanwhile (a task can always write to $SPIRE_ARTIFACTS).
    let noRoom: string | undefined;
    try {
      const stored = this.write([{ event: this.event("task.started", { argv: build.ok ? maskAll(build.spec.argv, this.prepared.secretValues) : null }, node.path, attempt), task: row }]);
      const folders = build.ok ? this.artifacts.prepare(node, machine.local ? build.spec.logFile : undefined).then((problem) => void (noRoom = problem)) : undefined;
      Promise.all([stored, folders]).catch(() => undefined); // either's failure is handled here, whichever comes first
      // Apart, not through Promise.all (a microtask step longer): the commit of this start usually holds the end whose slot this took, and the task launches before that end's bookkeeping (recordEnd).
      await folders;
      await stored;
    } catch (error) {
      // Nothing was launched: give the slot back before the run fails.
      this.starting--;
      giveBack();
      throw error;
    }
    this.starting--;
    this.listener?.({ type: "task", row });
    if (refused !== undefined) {
      this.attemptEnded(node, attempt, row, { ...failedToStart(row, `not started: ${refused}`, this.now()), hopeless: true });
      return;
    }
    if (placement && "ended" in placement) {
      giveBack();
      this.attemptEnded(node, attempt, row, failedToStart(row, placement.ended.reason, this.now(), placement.ended.state));
      return;
    }
    if (!build.ok || noRoom !== undefined) {
      giveBack();
      this.attemptEnded(node, attempt, row, failedToStart(row, build.ok ? `not started: ${noRoom}` : build.reason, this.now()));
      return;
    }
    // Under fail_fast, on_fail/on_done handlers still run: they are what a failure is for.
    const stopping = this.failure?.why ?? this.stopReason?.reason ?? (this.failFastReason !== null && !hasHandlerCondition(node) ? this.failFastReason : (unlocked ?? null));
    if (stopping) {
      giveBack();
      this.attemptEnded(node, attempt, row, failedToStart(row, stopping, this.now(), "canceled"));
      return;
    }
    // On a worker, the engine cannot look into the task's folder, and the wait counted against the timeout (worker-wait.ts).
    const onWorker =
      placement && "placed" in placement
        ? launchOnWorker(build.spec, placement.waitedMs, { patterns: (node.def.artifacts ?? []).filter((pattern) => artifactPatternProblem(pattern) === undefined), ...this.machines.artifactInputs(node) })
        : undefined;
    const handle = (placed?.executor ?? this.deps.executor).launch(build.spec, this.attemptEvents(node.path, attempt));
    this.handles.set(node.path, handle);
    const done = await handle.done;
    const ended = onWorker ? onWorker(done) : done;
    // Stopped by interruptRetryable: not the user's cancel, so the retry policy applies.
    const report = this.interrupting.delete(node.path) && ended.state === "canceled" ? { ...ended, state: "interrupted" as const } : ended;
    this.handles.delete(node.path);
    giveBack();
    this.attemptEnded(node, attempt, row, compatEnding(this.prepared.pipeline, explainEnding(node.def, report)), placed !== undefined);
  }

  private attemptEvents(path: string, attempt: number): LaunchEvents {
    return {
      onProgress: (done, total) => this.listener?.({ type: "progress", path, done, total }),
      ...(this.wantLines ? { onLine: (line: LogLine) => this.listener?.({ type: "line", path, line }) } : {}),
      // A worker's attempt sends what it keeps: held to the run's artifact limit like what is kept here.
      onArtifactChunk: (chunk) => this.artifacts.receive(path, attempt, chunk),
    };
  }

  /** Its artifacts are kept before its end is recorded: whoever sees the end can fetch them. */
  private attemptEnded(node: PlannedNode, attempt: number, started: TaskRunRow, report: AttemptEnding, sentByWorker = false): void {
    void this.artifacts
      .collect(node, attempt, report, this.outputs, { sentByWorker })
      .then((kept) => this.recordEnd(node, attempt, started, report, kept))
      .catch((error) => this.fail(error));
  }

  private recordEnd(node: PlannedNode, attempt: number, started: TaskRunRow, report: AttemptEnding, kept: StateChange["event"] | undefined): void {
    const final = endedRow(started, report);
    const retry = retryDelay(node.def.retries, attempt, report, this.stopReason !== null);
    const willRetry = retry !== undefined;
    const delayMs = retry ?? 0;
    const changes: StateChange[] = [
      ...(kept ? [{ event: kept }] : []),
      { event: this.event("task.finished", { state: report.state, exit_code: report.exitCode, reason: report.reason }, node.path, attempt), task: final },
    ];
    if (willRetry) changes.push({ event: this.event("task.retry_scheduled", { delay_ms: delayMs, next_attempt: attempt + 1 }, node.path, attempt) });
    // The run's last task ends (nothing pending, nothing else under way or waiting to retry, no stop asked): no
    // task can start from its end, so the end is applied now and the run's end goes in the same write, one fewer.
    const last = !willRetry && !this.finished && !this.stopReason && this.inFlight === 1 && this.readiness.unfinishedLeaves() === 1;
    const runEnd = last ? (this.applyEnd(final), this.decideEnd(this.readiness.outcome())) : undefined;
    if (runEnd) changes.push(runEnd.change);
    void this.write(changes)
      .then(() => {
        this.deps.ack?.(attemptId(this.runId, node.path, attempt));
        this.deps.logEnded?.(this.runId, node.path, attempt, report.tail.length);
        this.listener?.({ type: "task", row: final, tail: report.tail });
        if (runEnd) return this.ended(runEnd);
        if (willRetry) {
          this.listener?.({ type: "retry", path: node.path, attempt: attempt + 1, delayMs });
          this.scheduleRetry(node.path, delayMs);
          return;
        }
        this.applyEnd(final);
        if (this.prepared.pipeline.fail_fast && this.failFastReason === null && countsAsFailure(node, report.state)) {
          // The first failure cancels what runs, what waits to retry, and what is about to launch.
          this.failFastReason = failFastReason(node.path);
          this.cancelInFlight(this.failFastReason);
        }
        this.pump();
      })
      .catch((error) => this.fail(error));
  }

  /** An attempt's end, recorded: the task's new state and what it adds to the run. */
  private applyEnd(final: TaskRunRow): void {
    this.inFlight--;
    this.noteResult(final);
    this.setState(final.path, final.state);
  }

  /** What a task's last attempt leaves the run: why it was interrupted, its failure (for on_fail handlers), its outputs, its counts. */
  private noteResult(row: TaskRunRow): void {
    if (row.state === "interrupted") this.interruptions.set(row.path, row.reason ?? "its end was not seen");
    if (isFailed(row.state)) this.failures.set(row.path, { path: row.path, exitCode: row.exit_code, reason: row.reason, log: attemptLog(row), finishedAt: row.finished_at ?? this.now() });
    if (row.outputs) this.outputs.set(row.path, row.outputs);
    addCounts(this.counts, row);
  }

  /** The task stays "running" for the planner while it waits: it is not done. */
  private scheduleRetry(path: string, delayMs: number): void {
    this.retryTimers.set(
      path,
      setTimeout(() => {
        this.retryTimers.delete(path);
        this.inFlight--;
        this.retryReady.push(path);
        this.pump();
      }, delayMs),
    );
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
    const end = this.decideEnd(outcome);
    void this.write([end.change]).then(() => this.ended(end)).catch((error) => this.fail(error));
  }

  /** The run ends (nothing more starts here): its state, and the write that records it. */
  private decideEnd(outcome: RunEndInput["outcome"]): RunEnd {
    this.finished = true;
    this.deps.slots.withdraw(this);
    if (this.runTimer) clearTimeout(this.runTimer);
    const { plan } = this.prepared;
    return runEnd({ runId: this.runId, outcome, stop: this.stopReason, plan, states: this.states, interruptions: this.interruptions, counts: this.counts, now: this.now(), followed: this.deps.followed });
  }

  /** The run's end is stored: its listener and `done` hear of it. */
  private ended({ patch }: RunEnd): void {
    this.listener?.({ type: "run", state: patch.state, reason: patch.reason });
    // The row as stored: what it was made with, and every patch written since.
    this.resolveDone({ ...this.prepared.run, ...(this.startedAt !== undefined ? { state: "running", started_at: this.startedAt } : {}), ...patch });
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    if (error instanceof RunTakenOverError) this.takenOver = error;
    const why = this.takenOver ? this.takenOver.message : "internal error: " + String(error);
    this.failure = { why };
    // Everything stops. After the store's failure the next start carries the run on; after another fault it ends interrupted once stopped.
    if (!this.takenOver && !this.writes.gave(error)) this.interruption = interruptAfter([...this.handles.values()].map((handle) => handle.done), () => this.artifacts.settled(), () => this.starting > 0 || this.writes.inFlight > 0 || this.artifacts.collecting > 0, { ...this.deps, runId: this.runId, reason: why, now: this.now });
    for (const waiting of this.placing.values()) waiting.abort(new PlacementEnded("canceled", why));
    this.lockWaits.stopAll();
    this.finished = true;
    this.deps.slots.withdraw(this);
    if (this.runTimer) clearTimeout(this.runTimer);
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    for (const handle of this.handles.values()) handle.cancel(why);
    this.resolveDone({ ...this.prepared.run, state: "interrupted", reason: why });
  }

  private write(changes: StateChange[]): Promise<EventRow[]> {
    return this.writes.write(changes);
  }

  private event(type: string, data: Record<string, unknown>, taskPath: string | null = null, attempt: number | null = null) {
    return { run_id: this.runId, ts: this.now(), type, task_path: taskPath, attempt, data };
  }

  private taskRow(path: string, attempt: number, fields: Partial<TaskRunRow>): TaskRunRow {
    return blankTaskRow(this.runId, path, attempt, { log_file: attemptFiles(this.deps.dataDir, this.runId, path, attempt).logFile, ...fields });
  }
}
