/**
 * The runs this engine holds: one queue per pipeline under its concurrency
 * and queue policy, the named locks whole runs take, one parallelism limit
 * for all tasks, and a RunController per run under way. The engine hands a
 * stored run to admit(); from there this decides when it starts, runs it,
 * and says when it has ended. With engines sharing a store (PostgreSQL),
 * the queues' places and the locks of whole runs and of tasks are those of
 * all the engines, kept in the store (cluster-queues.ts,
 * shared-task-locks.ts); one engine alone keeps them here.
 */
import type { Executor } from "../../exec/port.js";
import type { EventRow, RunRow, Store } from "../../store/port.js";
import { admit } from "./admission.js";
import type { EngineLogger } from "../engine.js";
import { LockTable } from "../resources/locks.js";
import type { PreparedRun } from "./prepared-run.js";
import type { LogReader } from "../../logs/port.js";
import type { Placement } from "../../exec/port.js";
import type { AttemptKeeper } from "../../exec/port.js";
import type { ResourceCapacity } from "../resources/reservations.js";
import type { ResumePoint } from "../recovery/resume.js";
import { RunController } from "./run-controller.js";
import type { RunTakenOverError } from "../../store/errors.js";
import { ServiceError, type LiveProgress } from "../service.js";
import { Slots } from "../resources/slots.js";
import type { PipelineDef } from "../../definitions/schema.js";
import type { SharedStore } from "../../store/shared-port.js";
import type { PlaceHints } from "../../cluster/port.js";
import { ClusterQueues, placeUnder, type PipelineQueue as QueueOf } from "./cluster-queues.js";
import { SharedTaskLocks } from "./shared-task-locks.js";
import { LockCapacities } from "./lock-capacities.js";
import type { UnstoredRun } from "./unstored-run.js";
import { SpareRunFolders } from "../artifacts/spare-run-folders.js";
import { DEFAULT_KILL_GRACE_MS } from "./attempt.js";
import type { HeldElsewhere } from "../recovery/in-process-owners.js";

type PipelineQueue = QueueOf<RunController>;

export interface RunQueuesDeps {
  store: Store;
  executor: Executor;
  logs: LogReader;
  supervisor?: AttemptKeeper;
  /** Workers, for tasks with `runs_on` labels this machine lacks. */
  placement?: Placement;
  dataDir: string;
  parallelism: number;
  resources?: ResourceCapacity;
  environment?: Record<string, string | undefined>;
  artifactLimitBytes?: number;
  now: () => number;
  logger: EngineLogger;
  /** Stored events, to everyone who follows them. */
  publish(events: EventRow[]): void;
  /** See RunDeps.logEnded. */
  logEnded?: (runId: string, path: string, attempt: number, tailLines: number) => void;
  /** A running task's progress (live only, never stored). */
  progress(progress: LiveProgress): void;
  /** Whether a run ending in this state starts `after` followers (see EventTriggers.followed). */
  followed(run: Pick<RunRow, "id" | "namespace" | "pipeline" | "state">): boolean;
  /** A run this engine ran has ended. */
  finished(final: RunRow): void;
  /** A run ended without starting (refused, replaced, canceled while it waited). */
  ended(run: RunRow): void;
  /** A run went on in another engine (handed over, or taken over): this one no longer hears its changes. */
  wentElsewhere?(runId: string): void;
  /** Engines sharing the store (PostgreSQL): pipelines' queues and named locks hold across all of them (see cluster-queues.ts). */
  shared?: SharedStore | undefined;
  /** Told when a run may start now, another engine's run having ended. */
  placeHints?: PlaceHints | undefined;
  /** Asks the engine that runs a run to cancel it (a run preempted by a newer one made here). */
  cancelElsewhere?(runId: string, reason: string): Promise<unknown>;
  /**
   * An engine inside a `spire run` (no engine running): how many runs of the run's pipeline other such processes run, or
   * hold queued ahead of it. They count against the pipeline's concurrency, looked at again while runs wait here.
   */
  aheadElsewhere?(run: RunRow, concurrency: number): Promise<HeldElsewhere>;
}

export interface EngineLoad {
  queues: { namespace: string; pipeline: string; running: number; waiting: number }[];
  slots: { used: number; total: number };
  reserved: { cpus: number; memoryBytes: number };
  resources: ResourceCapacity;
  locks: ReturnType<LockTable["snapshot"]>;
}

export class RunQueues {
  private readonly queues = new Map<string, PipelineQueue>();
  private readonly controllers = new Map<string, RunController>();
  /** The longest kill_grace among the tasks of each run running here: how long a drain's cancel may take. */
  private readonly killGraces = new Map<string, number>();
  /** By pipeline: its runs that other `spire run` processes run or hold ahead, at the last look (RunQueuesDeps.aheadElsewhere). */
  private readonly ahead = new Map<string, number>();
  /** The latest `::progress::` of each task of each running run. */
  private readonly latestProgress = new Map<string, Map<string, LiveProgress>>();
  /** Named locks held by running runs, shared across pipelines and namespaces; tasks take theirs from the same table. */
  private readonly locks = new LockTable();
  private readonly capacities: LockCapacities;
  private readonly slots: Slots;
  /** Attempts on workers: no slot limit of this engine's (each worker has its own room), the same lock table. */
  private readonly remoteSlots: Slots;
  private closed = false;
  /** Runs being admitted, requeued or resumed (see arriving). */
  private readonly arrivals = new Set<string>();
  /**
   * Runs whose controller stopped on a store failure: their processes were
   * told to stop, and the run stays as last written until the engine's next
   * start takes it up (recover.ts asks the supervisor what became of each
   * attempt). Counted as held, so that no look for strays (TakeOvers) takes
   * one up meanwhile with its attempts counted as lost, while a process of it
   * may still be within its kill grace.
   */
  private readonly givenUp = new Set<string>();
  /**
   * The environment tasks inherit, copied at the first launch: nothing in
   * the engine changes its own, and process.env reads each variable with
   * a native call, as many as it has for every attempt.
   */
  private baseEnv: Record<string, string | undefined> | undefined;
  /** With engines sharing the store: their queues and locks are the store's (absent with one engine alone). */
  private readonly cluster: ClusterQueues | undefined;
  /** With engines sharing the store: tasks take their locks there too. */
  private readonly taskLocks: SharedTaskLocks | undefined;
  /** A long-lived engine's (its supervisor outlives it): a `spire run` makes a run or two and exits, and would leave them behind. */
  private readonly spares: SpareRunFolders | undefined;
  private readonly firstWrites = new WeakMap<RunController, UnstoredRun>(); // controllers of runs their first write stores

  constructor(private readonly deps: RunQueuesDeps) {
    this.capacities = new LockCapacities(deps);
    // A task giving locks back may let a waiting run start.
    this.slots = new Slots(deps.parallelism, {
      locks: this.locks,
      ...(deps.resources ? { resources: deps.resources } : {}),
      onLocksReleased: () => this.pumpAll(),
    });
    this.remoteSlots = new Slots(Number.MAX_SAFE_INTEGER, {
      locks: this.locks,
      resources: { cpus: Infinity, memoryBytes: Infinity, cpusFrom: "the workers'", memoryFrom: "the workers'" },
      onLocksReleased: () => this.pumpAll(),
    });
    this.cluster =
      deps.shared &&
      new ClusterQueues({
        shared: deps.shared,
        hints: deps.placeHints,
        locks: this.locks,
        queues: this.queues,
        now: deps.now,
        logger: deps.logger,
        closed: () => this.closed,
        launch: (prepared) => this.launch(prepared),
        schedulePump: (key, at) => this.schedulePump(key, at),
        finishUnstarted: (run, state, reason) => this.finishUnstarted(run, state, reason),
        dropped: (runId) => this.deps.wentElsewhere?.(runId),
      });
    this.taskLocks = deps.shared && new SharedTaskLocks({ shared: deps.shared, hints: deps.placeHints, logger: deps.logger });
    this.spares = deps.supervisor ? new SpareRunFolders(deps.dataDir) : undefined;
    this.spares?.prime();
  }

  /** Starts, queues or refuses a stored run (refused: recorded as skipped, and a ServiceError thrown); a run held already is left as it is. */
  async admit(prepared: PreparedRun): Promise<void> {
    await this.arriving(prepared, () => this.decide(prepared));
  }

  /**
   * Runs on their way in count as held while they await the store: a run is
   * never taken up twice at once (a stray taken up while its admission still
   * waits, see TakeOvers), and one held already is not taken up again.
   */
  private async arriving({ run }: PreparedRun, arrive: () => Promise<void>): Promise<void> {
    if (this.holds(run.id, run)) return;
    this.arrivals.add(run.id);
    try {
      await arrive();
    } finally {
      this.arrivals.delete(run.id);
    }
  }

  private async decide(prepared: PreparedRun): Promise<void> {
    const { run, pipeline } = prepared;
    prepared.lockCapacities = await this.capacities.of(run.namespace);
    // Other processes' runs count as running here, and their queued ones wait ahead (a full queue refuses as it would here).
    const elsewhere = this.deps.aheadElsewhere ? await this.deps.aheadElsewhere(run, pipeline.concurrency) : { running: 0, waiting: [] };
    if (this.deps.aheadElsewhere) this.ahead.set(keyOf(run.namespace, run.pipeline), elsewhere.running + elsewhere.waiting.length);
    // A drain may have begun while this request awaited: it must not launch a run the drain does not know of.
    if (this.closed) {
      // A run its first write would store is not stored at all: nothing of it to end.
      if (!prepared.unstored) await this.finishUnstarted(run, "canceled", "the engine is shutting down");
      throw new ServiceError("unavailable", "the engine is shutting down and takes no new runs");
    }
    if (prepared.unstored && (await this.startUnstored(prepared))) return;
    // From here to the queue change below, no await: the decision sees the queue as it is. With engines sharing the
    // store, the one await is for the store's queue, held against the other engines until the decision is written.
    const queue = this.queueOf(run.namespace, run.pipeline);
    const running = { count: queue.running.size + elsewhere.running, oldest: queue.running.keys().next().value };
    const decision = this.cluster
      ? await this.cluster.decide(prepared)
      : admit(pipeline, { running, waiting: [...elsewhere.waiting, ...queue.waiting.map((w) => ({ id: w.prepared.run.id, partition: w.prepared.run.partition }))] }, run.partition);
    // The run ended while the store decided (it was canceled, or taken over): nothing of it is left to start.
    if (decision === undefined) return;
    if (this.closed && decision.action === "start") {
      // Its locks were taken with its place (see ClusterQueues.decide); its end gives the place back.
      this.locks.release(pipeline.locks, { run_id: run.id, task: null });
      await this.finishUnstarted(run, "canceled", "the engine is shutting down");
      throw new ServiceError("unavailable", "the engine is shutting down and takes no new runs");
    }
    const readyAt = this.deps.now() + (pipeline.debounce ?? 0);
    switch (decision.action) {
      case "start":
        // Across engines, the store has given it its place and its locks already.
        if (this.cluster || this.takeLocks(prepared)) {
          this.launch(prepared);
          break;
        }
        // Its locks are held by other runs: it waits for them like a queued run.
        queue.waiting.push({ prepared, readyAt });
        break;
      case "wait": {
        // The queue changes before any await, so that a concurrent request sees it as it is.
        const index = decision.replaces ? queue.waiting.findIndex((w) => w.prepared.run.id === decision.replaces) : -1;
        const [replaced] = index >= 0 ? queue.waiting.splice(index, 1) : [];
        queue.waiting.push({ prepared, readyAt });
        this.schedulePump(keyOf(run.namespace, run.pipeline), readyAt);
        if (replaced) await this.finishUnstarted(replaced.prepared.run, "skipped", `replaced by the newer run ${run.id}`);
        break;
      }
      case "preempt": {
        queue.waiting.push({ prepared, readyAt });
        const reason = `preempted by the newer run ${run.id}`;
        const here = this.controllers.get(decision.cancels);
        if (here) here.cancel(reason);
        else void this.deps.cancelElsewhere?.(decision.cancels, reason).catch((error: Error) => this.deps.logger.warn({ run: decision.cancels, error: error.message }, "the engine that runs the preempted run could not be asked to cancel it"));
        break;
      }
      case "refuse": {
        await this.finishUnstarted(run, "skipped", decision.reason);
        // The engine puts the refused run's object in the details (it has the run objects).
        throw new ServiceError("queue_full", `run refused: ${decision.reason}`);
      }
    }
  }

  /**
   * With engines sharing the store, for a new run of `pipeline` that a place
   * alone admits: the limit under which it takes its place as it is stored
   * (storeNewRun's placeUnder), one commit fewer before it starts.
   */
  placeUnder(pipeline: PipelineDef): number | undefined {
    return this.cluster && placeUnder(pipeline);
  }

  /**
   * A new run its place alone admits, not stored yet, starts at once, and its
   * first write stores it (UnstoredRun). True when it started; false when it
   * was stored without its start (its queue had no room, or was held
   * elsewhere), for admission to decide as for any stored run; throws when it
   * was not stored (its definition changed meanwhile, or the store failed).
   */
  private async startUnstored(prepared: PreparedRun): Promise<boolean> {
    const unstored = prepared.unstored!;
    const controller = this.launch(prepared);
    const how = await unstored.outcome(controller.done).finally(() => delete prepared.unstored);
    if (how.started) return true;
    // Its controller stopped on a fault of its own while the write was on its way: its interruption ends the run.
    if (controller.interruption) return true;
    // Canceled meanwhile (the cancel found its controller): it ends canceled rather than waiting.
    if (unstored.stopAsked !== undefined) {
      await this.finishUnstarted(prepared.run, "canceled", unstored.stopAsked);
      return true;
    }
    if (unstored.startFailed) this.deps.logger.warn({ run: prepared.run.id, error: unstored.startFailed.message }, "the new run's start could not be written with it: it is started again from its stored place");
    if (how.place) prepared.placed = how.place;
    return false;
  }

  /** Cancels a controller; one whose run its first write is storing remembers why, in case that write does not start it. */
  private cancelController(controller: RunController, reason: string): void {
    const unstored = this.firstWrites.get(controller);
    if (unstored && !unstored.started) unstored.stopAsked ??= reason;
    controller.cancel(reason);
  }

  /** A queued run an earlier engine left: it waits again, first in line as it was. */
  async requeue(prepared: PreparedRun): Promise<void> {
    await this.arriving(prepared, async () => {
      prepared.lockCapacities = await this.capacities.of(prepared.run.namespace);
      await this.cluster?.hold(prepared, "waiting");
      this.queueOf(prepared.run.namespace, prepared.run.pipeline).waiting.push({ prepared, readyAt: this.deps.now() });
    });
  }

  /** A run an earlier engine started goes on here: it held its locks then, so it holds them again, whatever waits. */
  async resume(prepared: PreparedRun, point: ResumePoint): Promise<void> {
    await this.arriving(prepared, async () => {
      prepared.lockCapacities = await this.capacities.of(prepared.run.namespace);
      await this.cluster?.hold(prepared, "running");
      this.locks.tryAcquire(prepared.pipeline.locks, () => Infinity, { run_id: prepared.run.id, task: null });
      this.launch(prepared, point);
    });
  }

  /** Starts a run's controller; with `resume`, carries on a run an earlier engine started. */
  private launch(prepared: PreparedRun, resume?: ResumePoint): RunController {
    const { run, unstored } = prepared;
    const key = keyOf(run.namespace, run.pipeline);
    const { deps } = this;
    const controller = new RunController(
      {
        store: deps.store,
        executor: deps.executor,
        logs: deps.logs,
        dataDir: deps.dataDir,
        slots: this.slots,
        remoteSlots: this.remoteSlots,
        ...(this.taskLocks ? { taskLocks: this.taskLocks } : {}),
        ...(deps.placement ? { placement: deps.placement } : {}),
        nodePath: process.execPath,
        baseEnv: (this.baseEnv ??= { ...(deps.environment ?? process.env) }),
        publish: (events) => deps.publish(events),
        ...(deps.logEnded ? { logEnded: deps.logEnded } : {}),
        followed: (state) => deps.followed({ id: run.id, namespace: run.namespace, pipeline: run.pipeline, state }),
        now: deps.now,
        ...(deps.supervisor || deps.placement
          ? {
              ack: (id: string) => {
                deps.supervisor?.ack(id);
                deps.placement?.recorded(id);
              },
            }
          : {}),
        ...(deps.artifactLimitBytes !== undefined ? { artifactLimitBytes: deps.artifactLimitBytes } : {}),
        ...(this.spares ? { spareRunFolders: this.spares } : {}),
      },
      prepared,
      // Progress is live only (never stored): followers see it as it comes, and a new follower the latest of each task.
      (change) => {
        if (change.type !== "progress") return;
        const progress = { kind: "progress" as const, run_id: run.id, task: change.path, done: change.done, total: change.total };
        let latest = this.latestProgress.get(run.id);
        if (!latest) this.latestProgress.set(run.id, (latest = new Map()));
        latest.set(change.path, progress);
        deps.progress(progress);
      },
      resume ? { resume } : {},
    );
    this.queueOf(run.namespace, run.pipeline).running.set(run.id, controller);
    this.controllers.set(run.id, controller);
    this.killGraces.set(run.id, Math.max(0, ...prepared.plan.nodes.map((node) => (node.type === "task" ? (node.def.kill_grace ?? DEFAULT_KILL_GRACE_MS) : 0))));
    if (unstored) this.firstWrites.set(controller, unstored);
    controller.done.then(
      async (final) => {
        // It stepped back before it ran (startUnstored): stored queued, its admission goes on; or not stored at all.
        // Its first write may still be on its way (it stopped on a fault meanwhile): what that write did decides.
        if (unstored && !unstored.started && !(await unstored.settled())) return this.forgetController(run, controller);
        // A run another engine took over leaves this one without an end of its own: it goes on there.
        if (controller.takenOver?.how === "taken") deps.logger.warn({ run: run.id, pipeline: key, reason: final.reason }, "run taken over by another engine");
        else if (controller.takenOver) deps.logger.info({ run: run.id, pipeline: key, engine: controller.takenOver.owner }, "run handed to another engine");
        else deps.logger.info({ run: run.id, pipeline: key, state: final.state, ...(final.state === "interrupted" && final.reason ? { reason: final.reason } : {}) }, "run finished");
        this.forgetController(run, controller);
        if (controller.gaveUp) {
          this.givenUp.add(run.id);
          void controller.interruption?.then((ended) => ended && this.givenUp.delete(run.id));
        }
        this.latestProgress.delete(run.id);
        this.locks.release(prepared.pipeline.locks, { run_id: run.id, task: null });
        // Tasks of other runs may be waiting for those locks.
        if (prepared.pipeline.locks.length > 0) this.slots.wake();
        if (!controller.takenOver) deps.finished(final);
        else deps.wentElsewhere?.(run.id);
        this.pump(key);
        if (prepared.pipeline.locks.length > 0) for (const other of this.queues.keys()) if (other !== key) this.pump(other);
      },
      (error) => deps.logger.error({ run: run.id, error: String(error) }, "run failed inside the engine"),
    );
    void (resume ? controller.resume() : controller.start()).catch((error) => deps.logger.error({ run: run.id, error: String(error) }, "run could not start"));
    return controller;
  }

  /** A run's controller has ended: it no longer runs here (a later one of the same run is left alone). */
  private forgetController({ id, namespace, pipeline }: RunRow, controller: RunController): void {
    const queue = this.queueOf(namespace, pipeline);
    if (queue.running.get(id) === controller) queue.running.delete(id);
    if (this.controllers.get(id) === controller) {
      this.controllers.delete(id);
      this.killGraces.delete(id);
    }
  }

  /** Starts waiting runs while the pipeline has room, in order; waits for a debounce to pass. */
  private pump(key: string): void {
    const queue = this.queues.get(key);
    if (!queue || this.closed) return;
    if (this.cluster) return this.cluster.pump(queue);
    while (queue.waiting.length > 0) {
      const next = queue.waiting[0]!;
      if (queue.running.size + (this.ahead.get(key) ?? 0) >= next.prepared.pipeline.concurrency) {
        if ((this.ahead.get(key) ?? 0) > 0) this.lookElsewhere(key);
        return;
      }
      if (next.readyAt > this.deps.now()) return this.schedulePump(key, next.readyAt);
      if (!this.takeLocks(next.prepared)) return; // woken again when a run releases its locks
      queue.waiting.shift();
      this.launch(next.prepared);
    }
  }

  /** Starts what can start in every queue (after recovery requeued runs, say). */
  pumpAll(): void {
    for (const key of this.queues.keys()) this.pump(key);
  }

  /** All of a run's locks at once, or none (see LockTable). */
  private takeLocks(prepared: PreparedRun): boolean {
    const capacities = prepared.lockCapacities ?? {};
    return this.locks.tryAcquire(prepared.pipeline.locks, (name) => capacities[name] ?? 1, { run_id: prepared.run.id, task: null });
  }

  /** Definitions were applied: capacities are read again at the next admission. */
  forgetCapacities(): void {
    this.capacities.forget();
  }

  /** Runs wait here behind other `spire run` processes' runs: their count is looked at again soon, and the queue pumped. */
  private lookElsewhere(key: string): void {
    const queue = this.queues.get(key)!;
    if (queue.timer) return;
    queue.timer = setTimeout(() => {
      queue.timer = undefined;
      const first = queue.waiting[0];
      if (first === undefined || this.closed) return;
      void this.deps.aheadElsewhere!(first.prepared.run, first.prepared.pipeline.concurrency).then(
        (ahead) => (this.ahead.set(key, ahead.running + ahead.waiting.length), this.pump(key)),
        (error: Error) => (this.deps.logger.warn({ pipeline: key, error: error.message }, "the runs of other spire run processes could not be counted; looking again"), this.lookElsewhere(key)),
      );
    }, LOOK_ELSEWHERE_MS);
  }

  private schedulePump(key: string, at: number): void {
    const queue = this.queues.get(key)!;
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = setTimeout(() => {
      queue.timer = undefined;
      this.pump(key);
    }, Math.max(0, at - this.deps.now()));
  }

  private async finishUnstarted(run: RunRow, state: "skipped" | "canceled", reason: string): Promise<void> {
    const now = this.deps.now();
    const events = await this.deps.store.write([
      { event: { run_id: run.id, ts: now, type: "run.finished", task_path: null, attempt: null, data: { state, reason } }, run: { id: run.id, state, reason, finished_at: now } },
    ]);
    this.deps.publish(events);
    this.deps.ended(run);
  }

  /** Cancels a run that runs or waits here; false when this engine does not hold it. */
  async cancel(run: RunRow, reason: string): Promise<boolean> {
    const controller = this.controllers.get(run.id);
    if (controller) {
      this.cancelController(controller, reason);
      return true;
    }
    const queue = this.queues.get(keyOf(run.namespace, run.pipeline));
    const index = queue?.waiting.findIndex((w) => w.prepared.run.id === run.id) ?? -1;
    if (index < 0) return false;
    queue!.waiting.splice(index, 1);
    await this.finishUnstarted(run, "canceled", reason);
    return true;
  }

  /** Cancels a pipeline's running and waiting runs (`waitingOnly`: the waiting ones); returns their ids. */
  async cancelUnderWay(namespace: string, name: string, reason: string, options: { waitingOnly?: boolean } = {}): Promise<string[]> {
    const queue = this.queues.get(keyOf(namespace, name));
    if (!queue) return [];
    const running = options.waitingOnly ? [] : [...queue.running.entries()];
    for (const [, controller] of running) this.cancelController(controller, reason);
    const waiting = queue.waiting.splice(0);
    for (const { prepared } of waiting) await this.finishUnstarted(prepared.run, "canceled", reason);
    return [...running.map(([id]) => id), ...waiting.map(({ prepared }) => prepared.run.id)];
  }

  /** The run is running here (its tasks' logs may still grow). */
  isRunning(runId: string): boolean {
    return this.controllers.has(runId);
  }

  /** The ids of the runs this engine holds: running, waiting, on their way in, or given up on a store failure (see givenUp). */
  heldIds(): string[] {
    return [...this.controllers.keys(), ...this.arrivals, ...this.givenUp, ...[...this.queues.values()].flatMap((queue) => queue.waiting.map((waiting) => waiting.prepared.run.id))];
  }

  /** Stops the attempts with a retry left, of every run here (see RunController.interruptRetryable); how many. */
  interruptRetryable(reason: string): number {
    let stopped = 0;
    for (const controller of this.controllers.values()) stopped += controller.interruptRetryable(reason);
    return stopped;
  }

  /** The runs here whose every task under way waits for a worker, with the label sets they wait for (see RunController.workerWaits). */
  workerWaits(): { runId: string; needs: string[][] }[] {
    const waits: { runId: string; needs: string[][] }[] = [];
    for (const [runId, controller] of this.controllers) {
      const needs = controller.workerWaits();
      if (needs) waits.push({ runId, needs });
    }
    return waits;
  }

  /** Another engine took this run over: its tasks here stop, or it leaves its queue, and nothing more of it is written here. */
  letGo(runId: string, error: RunTakenOverError): void {
    this.givenUp.delete(runId);
    const controller = this.controllers.get(runId);
    if (controller) return controller.letGo(error);
    for (const queue of this.queues.values()) {
      const index = queue.waiting.findIndex((waiting) => waiting.prepared.run.id === runId);
      if (index < 0) continue;
      queue.waiting.splice(index, 1);
      this.deps.wentElsewhere?.(runId);
    }
  }

  /** The run is running here, waits in one of the queues (its pipeline's, when given: no look through the others), or is on its way in. */
  holds(runId: string, of?: { namespace: string; pipeline: string }): boolean {
    if (this.controllers.has(runId) || this.arrivals.has(runId)) return true;
    const queues = of ? [this.queues.get(keyOf(of.namespace, of.pipeline))] : this.queues.values();
    for (const queue of queues) if (queue?.waiting.some((waiting) => waiting.prepared.run.id === runId)) return true;
    return false;
  }

  /** The definition a run under way was made with, from memory. */
  definitionOf(runId: string): PipelineDef | undefined {
    return this.controllers.get(runId)?.definition;
  }

  /** Where each running task of a run stands, for a follower that comes late. */
  progressOf(runId: string): Iterable<LiveProgress> {
    return this.latestProgress.get(runId)?.values() ?? [];
  }

  /** For metrics. */
  counts(): { running: number; waiting: number; slotsInUse: number; slotsCapacity: number } {
    const waiting = [...this.queues.values()].reduce((sum, queue) => sum + queue.waiting.length, 0);
    return { running: this.controllers.size, waiting, slotsInUse: this.slots.inUse, slotsCapacity: this.slots.capacity };
  }

  /** What is in use now (GET /engine): each pipeline's runs under way and waiting (those with any), slots, cpus, memory and locks. */
  load(): EngineLoad {
    const queues = [...this.queues.values()]
      .filter((queue) => queue.running.size + queue.waiting.length > 0)
      .map((queue) => ({ namespace: queue.namespace, pipeline: queue.pipeline, running: queue.running.size, waiting: queue.waiting.length }));
    return { queues, slots: { used: this.slots.inUse, total: this.slots.capacity }, reserved: this.slots.reserved, resources: this.slots.resources, locks: this.locks.snapshot() };
  }

  /** Starts nothing more: a run admitted from now on is recorded as canceled, and waiting runs stay waiting. */
  stopAdmitting(): void {
    this.closed = true;
    this.cluster?.stop();
    this.spares?.stop();
    for (const queue of this.queues.values()) if (queue.timer) clearTimeout(queue.timer);
  }

  /**
   * Takes no more runs; lets those under way finish for up to `graceMs`,
   * then cancels what is left (TERM, then KILL after each task's grace).
   */
  async drain(graceMs: number): Promise<void> {
    this.stopAdmitting();
    const all = Promise.all([...this.controllers.values()].map((controller) => controller.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)))]);
    clearTimeout(timer);
    if (!timedOut) return;
    for (const controller of this.controllers.values()) controller.cancel("the engine is shutting down");
    // Their tasks end within their kill_grace; their ends are stored soon after, unless the store cannot take them (a full
    // disk) or something holds a run up: the engine then stops all the same, and its next start carries those runs on.
    const bound = Math.max(0, ...this.killGraces.values()) + STORE_ENDS_MS;
    if (await Promise.race([all.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), bound)))])) return clearTimeout(timer);
    this.deps.logger.warn({ runs: [...this.controllers.keys()], waited_ms: bound }, "runs did not end after their cancel; stopping all the same: the next start carries them on");
  }

  private queueOf(namespace: string, pipeline: string): PipelineQueue {
    const key = keyOf(namespace, pipeline);
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = { namespace, pipeline, running: new Map(), waiting: [] }));
    return queue;
  }
}

/** How often runs waiting behind other `spire run` processes' runs look again. */
const LOOK_ELSEWHERE_MS = 250;

/** After a drain's cancel, beyond the tasks' kill_grace: for their ends to be stored. */
const STORE_ENDS_MS = 5_000;

function keyOf(namespace: string, pipeline: string): string {
  return `${namespace}/${pipeline}`;
}
