/**
 * The engine: pipelines by namespace, runs started over the API under each
 * pipeline's concurrency and queue policy, one parallelism limit for all,
 * live events. It talks only to ports (Store, Executor, LogReader); the HTTP
 * layer talks only to it (EngineService). The work is done in its rooms:
 * pipelines/ (applied definitions), runs/ (starting and driving runs),
 * triggers/, resources/, artifacts/, recovery/ (after a restart) and reads/
 * (what clients read); this class wires them together.
 */
import { AuditRecords } from "./audit-records.js";
import { MAX_LINE_BYTES, TAIL_LINES } from "../exec/port.js";
import { LocalLogs } from "../logs/local-logs.js";
import { StoreSharing } from "./sharing/store-sharing.js";
import { EveryEngineEvents } from "./reads/every-engine-events.js";
import { EveryEngineMissed } from "./reads/every-engine-missed.js";
import { RemovedRuns } from "./reads/removed-runs.js";
import type { ForwardedRequest } from "./sharing/run-requests.js";
import type { LogReader } from "../logs/port.js";
import type { PipelineDef } from "../definitions/schema.js";
import { hostname } from "node:os";
import type { EventRow, RunRow, TaskRunRow } from "../store/port.js";
import { aheadElsewhere, inProcessRuns } from "./recovery/in-process-owners.js";
import { VERSION } from "../version.js";
import { EventBus, type PipelineEvent } from "./event-bus.js";
import { RunObjectCache } from "./reads/run-cache.js";
import { RunReads } from "./reads/run-reads.js";
import { EventTriggers } from "./triggers/event-triggers.js";
import { LogTailer } from "./reads/log-tail.js";
import { ForeignRuns } from "./runs/foreign-runs.js";
import { RunFollowers } from "./runs/run-followers.js";
import { RunQueues } from "./runs/run-queues.js";
import { countRunsByState, renderMetrics } from "./reads/metrics.js";
import type { TakeUpCounts } from "./recovery/restart.js";
import { EngineRecovery } from "./recovery/engine-recovery.js";
import { attemptFiles } from "./runs/attempt.js";
import { engineInfo, type EngineInfo } from "./reads/engine-info.js";
import { localWorker } from "./reads/local-worker.js";
import type { PipelineHistory } from "./reads/pipeline-history.js";
import { LEASE_ACTOR, PipelineBook } from "./pipelines/pipeline-book.js";
import { RunStarts } from "./runs/run-starts.js";
import { nothingToCancel } from "./runs/nothing-to-cancel.js";
import { RememberedDefinitions } from "./pipelines/remembered-definitions.js";
import type { RunObject } from "./reads/run-object.js";
import { Scheduler } from "./triggers/scheduler.js";
import type { MissedObject } from "./triggers/missed-object.js";
import { DEFAULT_RETENTION, Retention, SWEEP_EVERY_MS, type SweepReport } from "./runs/retention.js";
import { DEFAULT_WATCH_LEASE_MS, WatchLeases } from "./triggers/watch-leases.js";
import { systemZone } from "../time/index.js";
import {
  ServiceError,
  type Actor,
  type ApplyRequest,
  type AuditFilter,
  type ChangeSet,
  type EngineService,
  type LiveEvent,
  type LogFollowing,
  type LogPage,
  type LogQuery,
  type NamespaceInfo,
  type Subscription,
  type PipelineDetail,
  type PipelineSummary,
  type RunListQuery,
  type RunSummary,
  type WatchLease,
  type WorkerInfo,
  type StartRunRequest,
} from "./service.js";

import type { EngineLogger, EngineOptions } from "./engine-options.js";

export type { EngineLogger, EngineOptions };

/** A finished attempt's log at least this big is indexed at once (see indexFinishedLog): some 50,000 lines, read in a few ms. */
const INDEX_AT_END_BYTES = 4 << 20;
/** A report's tail holds every line of a log shorter than TAIL_LINES lines, and such a log is under this bound's reach. */
const SHORT_TAIL_MEANS_SMALL_LOG = TAIL_LINES * MAX_LINE_BYTES < INDEX_AT_END_BYTES;
const quietLogger: EngineLogger = { info() {}, warn() {}, error() {} };

export class Engine implements EngineService {
  private readonly bus = new EventBus();
  /** A run's object is kept while its changes reach this engine's bus (see run-cache.ts). */
  private readonly runObjects = new RunObjectCache(this.bus, (runId) => this.isLocal(runId) || this.foreignRuns.isActive(runId));
  /** The runs this engine holds: queued, or running under a controller. */
  private readonly runs: RunQueues;
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly logger: EngineLogger;
  private readonly audits: AuditRecords;
  private draining = false;
  private readonly logTailer: LogTailer;
  private readonly scheduler: Scheduler;
  /** Changes of the scheduling lead, applied one after another. */
  private leaderChanges: Promise<void> = Promise.resolve();
  /** Scheduled runs of definitions that read no env file, made once per applied row and trigger (see prepareScheduled). */
  private readonly eventTriggers: EventTriggers;
  private readonly retention: Retention;
  private readonly leases: WatchLeases;
  private readonly pipelines: PipelineBook;
  /** The applied pipelines and namespaces runs are made from, without a read per run (forgotten at each change). */
  private readonly definitions: RememberedDefinitions;
  private readonly starts: RunStarts;
  /** Runs of another process on this store that someone here follows. */
  private readonly foreignRuns: ForeignRuns;
  private readonly followers: RunFollowers;
  /** With engines sharing a store: every engine's events, for the engine-wide stream. */
  private readonly everyEngine: EveryEngineEvents | undefined;
  /** With engines sharing a store: the runs another engine removed, dropped from runObjects. */
  private readonly removedRuns: RemovedRuns | undefined;
  private readonly recovery: EngineRecovery;
  /** Task logs: pages, windows by line number (GET …/logs?from_line=, tail=), live tails. */
  private readonly logs: LogReader;
  private readonly reads: RunReads;
  /** Engines sharing a store: this one's logs and artifacts copied there (its runs write through it), the others' read, cancels passed between them. */
  private readonly sharing: StoreSharing | undefined;

  constructor(private readonly options: EngineOptions) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? quietLogger;
    this.audits = new AuditRecords(options.store, this.now, this.logger);
    const { shared } = options.store;
    const warn = (message: string, details: object) => this.logger.warn(details, message);
    this.sharing = shared && new StoreSharing({ store: options.store, shared, dataDir: options.dataDir, hints: options.runRequests, cancel: (run, reason) => this.runs.cancel(run, reason), now: this.now, warn });
    this.logs = options.logs ?? this.sharing?.logs ?? new LocalLogs();
    this.definitions = new RememberedDefinitions(options.store, options.dataDir);
    this.reads = new RunReads({ store: options.store, runObjects: this.runObjects, logs: this.logs, dataDir: options.dataDir, now: this.now });
    this.runs = new RunQueues({
      store: this.sharing?.store ?? options.store,
      executor: options.executor,
      logs: this.logs,
      ...(options.placement ? { placement: options.placement } : {}),
      ...(options.supervisor ? { supervisor: options.supervisor } : {}),
      dataDir: options.dataDir,
      parallelism: options.parallelism,
      ...(options.resources ? { resources: options.resources } : {}),
      ...(options.environment ? { environment: options.environment } : {}),
      ...(options.artifactLimitBytes !== undefined ? { artifactLimitBytes: options.artifactLimitBytes } : {}),
      now: this.now,
      logger: this.logger,
      publish: (events) => this.publish(events),
      logEnded: (runId, path, attempt, tailLines) => this.indexFinishedLog(runId, path, attempt, tailLines),
      progress: (progress) => this.bus.publish(progress.run_id, progress),
      // Without schedules (a `spire run` with no engine up) no trigger is armed: its runs start no followers, then or later.
      followed: (run) => options.schedules !== false && this.eventTriggers.followed(run),
      finished: (final) => (this.scheduler.runEnded(final, final.finished_at ?? this.now()), this.eventTriggers.finished(final)),
      ended: (run) => (this.scheduler.runEnded(run, this.now()), this.eventTriggers.ended(run)),
      wentElsewhere: (runId) => (this.runObjects.forget(runId), this.followers.wentElsewhere(runId)),
      shared,
      placeHints: options.places,
      cancelElsewhere: async (runId, reason) => this.sharing?.requests.ask(runId, reason, "queue policy"),
      // Inside a `spire run`, other such processes may run this pipeline over the same data folder.
      ...(options.schedules === false && !shared ? { aheadElsewhere: (run: RunRow, concurrency: number) => aheadElsewhere(options.store, options.dataDir, run, concurrency, this.now()) } : {}),
    });
    this.startedAt = this.now();
    this.recovery = new EngineRecovery({
      store: this.sharing?.store ?? options.store,
      executor: options.executor,
      ...(options.placement ? { placement: options.placement } : {}),
      ...(options.supervisor ? { supervisor: options.supervisor } : {}),
      environment: options.environment ?? process.env,
      runs: this.runs,
      now: this.now,
      warn: (message) => this.logger.warn({}, message),
      baseDirOf: (namespace) => this.definitions.baseDirOf(namespace),
      publish: (events) => this.publish(events),
      ...(options.store.shared === undefined ? { dataDir: options.dataDir } : {}),
      roster: options.roster,
      handOvers: options.handOvers,
      workersHere: () => (options.remoteWorkers?.() ?? []).filter((worker) => worker.state === "connected").map((worker) => worker.labels),
      logger: this.logger,
    });
    this.foreignRuns = new ForeignRuns({
      store: options.store,
      deliver: (runId, events) => {
        this.runObjects.forget(runId);
        for (const event of events) this.bus.publishToRun(runId, { kind: "event", event });
      },
    });
    this.logTailer = new LogTailer(options.store, this.logs, (runId) => this.runs.isRunning(runId) || this.foreignRuns.isActive(runId));
    this.everyEngine = options.store.shared && new EveryEngineEvents(options.store, (error) => this.logger.warn({ error: error.message }, "the stored events of every engine could not be read: read again shortly"));
    const everyEngineMissed = shared && new EveryEngineMissed(shared, options.missedHints, (error) => this.logger.warn({ error: error.message }, "the missed records of every engine could not be read: read again shortly"));
    const everyEngine = { ...(this.everyEngine ? { everyEngine: this.everyEngine } : {}), ...(everyEngineMissed ? { everyEngineMissed } : {}) };
    this.followers = new RunFollowers({ bus: this.bus, foreignRuns: this.foreignRuns, logTailer: this.logTailer, isLocal: (runId) => this.isLocal(runId), progressOf: (runId) => this.runs.progressOf(runId), ...everyEngine });
    this.removedRuns = shared && new RemovedRuns({ cache: this.runObjects, store: options.store, hints: options.removedRuns, failed: (error) => this.logger.warn({ error: error.message }, "could not check which cached runs are still stored: checked again shortly") });
    this.scheduler = new Scheduler({
      store: options.store,
      now: this.now,
      defaultZone: options.defaultZone ?? systemZone(),
      prepare: (start) => this.starts.prepareScheduled(start),
      missed: (missed) => (this.bus.publishPipeline({ kind: "missed", missed }), everyEngineMissed && everyEngineMissed.stored()),
      seen: async (row) => this.definitions.seen(row, await this.definitions.namespace(row.namespace), { paused: false }),
      definitionsChanged: () => void this.pipelines.refreshTriggers(false).catch((error: Error) => this.logger.warn({ error: error.message }, "the applied definitions could not be read again")),
      warn: (message, details) => this.logger.warn(details, message),
      ...(options.leadership ? { leading: () => options.leadership!.leading } : {}),
      shared: shared !== undefined,
    });
    this.eventTriggers = new EventTriggers({
      store: options.store,
      baseDirOf: (namespace) => this.definitions.baseDirOf(namespace),
      start: (start) => this.starts.startTriggeredRun(start),
      info: (message, details) => this.logger.info(details, message),
      warn: (message, details) => this.logger.warn(details, message),
      ...(options.leadership ? { watching: () => options.leadership!.leading } : {}),
    });
    this.retention = new Retention({
      store: options.store,
      dataDir: options.dataDir,
      defaults: options.retention ?? DEFAULT_RETENTION,
      now: this.now,
      removed: (ids) => ids.forEach((id) => this.runObjects.forget(id)),
    });
    this.leases = new WatchLeases({
      store: options.store,
      leaseMs: options.watchLeaseMs ?? DEFAULT_WATCH_LEASE_MS,
      lapsedBy: LEASE_ACTOR.name,
      lapse: (namespace, name, reason) => this.pipelines.watchLapsed(namespace, name, reason),
      resume: (namespace, name) => this.pipelines.changePaused(LEASE_ACTOR, namespace, name, false, { reason: "its spire watch renewed its lease again" }).then(() => {}),
      warn: (message, details) => this.logger.warn(details, message),
    });
    this.pipelines = new PipelineBook({
      store: options.store,
      definitions: this.definitions,
      bus: this.bus,
      scheduler: this.scheduler,
      eventTriggers: this.eventTriggers,
      leases: () => this.leases,
      runs: this.runs,
      now: this.now,
      defaultZone: options.defaultZone ?? systemZone(),
      schedules: options.schedules !== false,
      ...(options.maxTasks !== undefined ? { maxTasks: options.maxTasks } : {}),
      audit: (actor, action, target, details) => this.audits.record(actor, action, target, details),
      warn: (details, message) => this.logger.warn(details, message),
      checkRunCursor: (parameter, cursor) => this.checkRunCursor(parameter, cursor),
      ...(this.sharing ? { askToCancel: (runId: string, reason: string, by: string) => this.sharing!.requests.ask(runId, reason, by) } : {}),
      ...(options.definitionChanges ? { announce: () => options.definitionChanges!.announce() } : {}),
    });
    this.starts = new RunStarts({
      // A new run's first attempts may start with its creation: recorded as this engine's runs' writes are.
      store: this.sharing?.store ?? options.store,
      runs: this.runs,
      definitions: this.definitions,
      logger: this.logger,
      environment: options.environment ?? process.env,
      defaultZone: options.defaultZone ?? systemZone(),
      now: this.now,
      baseDirOf: (namespace) => this.definitions.baseDirOf(namespace),
      baseDirFrom: (namespace) => this.definitions.baseDirFrom(namespace),
      publish: (events) => this.publish(events),
      getRun: (id) => this.getRun(id),
      watchRun: (id) => this.runObjects.watch(id),
      storedRun: (id) => this.storedRun(id),
      refuseWhileDraining: () => this.refuseWhileDraining(),
      scheduledRunEnded: (namespace, name, triggerKey, at) => this.scheduler.finished(namespace, name, triggerKey, at),
    });
  }

  /**
   * Leading: the schedules are read again (the last leader moved them on)
   * and time triggers fire, and watch triggers watch; not leading: they
   * stop. One change at a time.
   */
  private leadingChanged(leading: boolean): void {
    this.leaderChanges = this.leaderChanges
      .then(async () => {
        if (this.draining) return;
        this.recovery.leading(leading);
        if (leading) {
          await this.scheduler.refresh();
          this.scheduler.start();
        } else await this.scheduler.stop({ admitClaimed: true });
        // Watched paths follow the lead too: the leader watches them, the others not.
        await this.eventTriggers.refresh();
        this.logger.info({ leading }, leading ? "this engine leads the scheduling now" : "this engine no longer leads the scheduling");
      })
      .catch((error: Error) => this.logger.error({ error: error.message }, "time triggers could not follow a change of leader"));
  }

  /** Starts firing time triggers, and watch and after triggers, and taking requests from other engines (after recover()). */
  async startScheduler(): Promise<void> {
    this.sharing?.start();
    const leadership = this.options.leadership;
    if (leadership) leadership.start((leading) => this.leadingChanged(leading));
    else {
      await this.scheduler.refresh();
      this.scheduler.start();
    }
    await this.eventTriggers.start();
    await this.leases.start();
    // Another engine changed definitions: what fires here follows.
    const changes = this.options.definitionChanges;
    if (changes) await this.pipelines.followChangesElsewhere((changed) => changes.listen(() => this.draining || changed()));
    this.removedRuns?.start();
    this.retention.start(
      SWEEP_EVERY_MS,
      (report) => {
        if (report.removed + report.orphans > 0) this.logger.info({ runs: report.removed, bytes: report.bytes, orphans: report.orphans }, "retention removed old runs");
      },
      (error) => this.logger.error({ error: String(error) }, "retention sweep failed"),
    );
  }

  /** Slots that did not run, newest first (GET /pipelines/{ns}/{name}/missed). */
  listMissed(namespace: string, name: string, query: { limit: number; before?: number; run?: string }): Promise<{ missed: MissedObject[]; next_cursor: number | null }> {
    return this.pipelines.listMissed(namespace, name, query);
  }

  /** The definition a run under way was made with, from memory (undefined once it has ended, or before it starts). */
  definitionOf(runId: string): PipelineDef | undefined {
    return this.runs.definitionOf(runId);
  }

  /** Pipeline events outside any run (missed slots, changed definitions); returns the unsubscribe function. */
  subscribePipelines(listener: (event: PipelineEvent) => void, options: { everyEngine?: boolean } = {}): Subscription {
    return this.followers.subscribePipelines(listener, options);
  }

  /** After a restart: what earlier engines left running or queued goes on here (see engine-recovery.ts). */
  recover(): Promise<TakeUpCounts> {
    return this.recovery.recover();
  }

  // ── definitions (see pipeline-book.ts) ────────────────────────────────────

  apply(actor: Actor, request: ApplyRequest): Promise<ChangeSet> {
    return this.pipelines.apply(actor, request);
  }

  listPipelines(namespace?: string, options: { recent?: number } = {}): Promise<PipelineSummary[]> {
    return this.pipelines.list(namespace, options);
  }

  listPipelinesJson(namespace?: string, options: { recent?: number } = {}): Promise<string> {
    return this.pipelines.listJson(namespace, options);
  }

  getPipeline(namespace: string, name: string, options: { next?: number } = {}): Promise<PipelineDetail> {
    return this.pipelines.get(namespace, name, options);
  }

  pipelineHistory(namespace: string, name: string, query: { limit: number; before?: string }): Promise<PipelineHistory> {
    return this.pipelines.history(namespace, name, query);
  }

  deletePipeline(actor: Actor, namespace: string, name: string): Promise<void> {
    return this.pipelines.delete(actor, namespace, name);
  }

  setPaused(actor: Actor, namespace: string, name: string, paused: boolean, options: { reason?: string } = {}): Promise<PipelineSummary> {
    return this.pipelines.setPaused(actor, namespace, name, paused, options);
  }

  renewWatchLease(namespace: string, name: string, holder?: string): Promise<WatchLease> {
    return this.pipelines.renewWatchLease(namespace, name, holder);
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  startRun(actor: Actor, namespace: string, name: string, request: StartRunRequest): Promise<RunObject> {
    return this.starts.startRun(actor, namespace, name, request);
  }

  startHookRun(namespace: string, name: string, args: Record<string, unknown>): Promise<RunObject> {
    return this.starts.startHookRun(namespace, name, args);
  }

  retryRun(actor: Actor, id: string, request: { from?: string }): Promise<RunObject> {
    return this.starts.retryRun(actor, id, request);
  }

  /** Cancels a run this engine holds, or asks the engine that runs it (engines sharing a store; see run-requests.ts). */
  async cancelRun(actor: Actor, id: string): Promise<RunObject & { request?: ForwardedRequest }> {
    const stored = await this.storedRun(id);
    const reason = `canceled by ${actor.name}`;
    const asked = (await this.runs.cancel(stored.run, reason)) ? "here" : await this.sharing?.requests.cancelElsewhere(stored.run, reason, actor.name);
    if (asked === undefined || asked === "not_running") {
      // Read again: the run may have ended since (a cancel just as it ends is told it ended, not that it runs).
      const state = (await this.storedRun(id)).run.state;
      const owner = state === "queued" || state === "running" ? inProcessRuns(this.options.dataDir).listed.get(id) : undefined;
      if (owner !== undefined) {
        throw new ServiceError("conflict", `run ${id} runs in a spire run process (pid ${owner}), not in this engine`, {
          hint: "press Ctrl-C where it runs, or end that process; should it end without ending the run, this engine takes the run up",
        });
      }
      throw nothingToCancel(stored.run, state);
    }
    await this.audits.record(actor, "run.cancel", id, asked === "here" ? {} : { engine: asked.engine, taken: asked.taken });
    const run = await this.getRun(id);
    return asked === "here" ? run : { ...run, request: asked };
  }

  listRuns(query: RunListQuery): Promise<{ runs: RunSummary[]; next_cursor: string | null }> {
    return this.reads.listRuns(query);
  }

  private checkRunCursor(parameter: string, cursor: string): void {
    this.reads.checkRunCursor(parameter, cursor);
  }

  getRun(id: string): Promise<RunObject> {
    return this.reads.getRun(id);
  }

  cachedRun(id: string): RunObject | undefined {
    return this.runObjects.cached(id);
  }

  /** A run under way here gives the definition it runs with, the object its plan was made from (planOnce finds that plan). */
  async getRunDefinition(id: string): Promise<PipelineDef> {
    return this.definitionOf(id) ?? ((await this.reads.storedRun(id)).run.definition as PipelineDef);
  }

  private storedRun(id: string): Promise<{ run: RunRow; tasks: TaskRunRow[] }> {
    return this.reads.storedRun(id);
  }

  readLogs(runId: string, task: string, query: LogQuery): Promise<LogPage> {
    return this.reads.readLogs(runId, task, query);
  }

  listEvents(runId: string, afterSeq: number, limit: number): Promise<EventRow[]> {
    return this.options.store.listEvents(runId, afterSeq, limit);
  }

  listEventsSince(afterSeq: number, limit: number): Promise<EventRow[]> {
    return this.options.store.listEventsSince(afterSeq, limit);
  }

  listArtifacts(runId: string) {
    return this.reads.listArtifacts(runId);
  }

  openArtifact(runId: string, task: string, name: string) {
    return this.reads.openArtifact(runId, task, name);
  }

  async collectGarbage(actor: Actor, options: { dryRun: boolean }): Promise<SweepReport> {
    const report = await this.retention.sweep(options);
    if (!options.dryRun) await this.audits.record(actor, "gc", "runs", { runs: report.removed, bytes: report.bytes, orphans: report.orphans });
    return report;
  }

  subscribe(runId: string | null, listener: (event: LiveEvent) => void, options: { logs?: LogFollowing; everyEngine?: boolean } = {}): Subscription {
    return this.followers.subscribe(runId, listener, options);
  }

  private publish(events: EventRow[]): void {
    for (const event of events) this.bus.publish(event.run_id, { kind: "event", event });
    if (events.length > 0) this.everyEngine?.stored();
  }

  /**
   * A big log is indexed as soon as its attempt ends, so that the first
   * reader of any screen of it does not wait for a read of the whole file;
   * a small one is read faster than its index would be, when first asked.
   * A tail that is not full says the whole log is a few lines: not even a
   * stat then (one per task was 0.2 s of a 1,000-task graph).
   */
  private indexFinishedLog(runId: string, path: string, attempt: number, tailLines: number): void {
    if (tailLines < TAIL_LINES && SHORT_TAIL_MEANS_SMALL_LOG) return;
    const { logFile } = attemptFiles(this.options.dataDir, runId, path, attempt);
    this.logs.warm({ run_id: runId, path, attempt, log_file: logFile }, INDEX_AT_END_BYTES).catch((error) => this.logger.warn({ run: runId, task: path, error: String(error) }, "a task log could not be indexed"));
  }

  // ── the rest ─────────────────────────────────────────────────────────────

  listNamespaces(): Promise<NamespaceInfo[]> {
    return this.reads.listNamespaces();
  }

  listAudit(query: AuditFilter) {
    return this.reads.listAudit(query);
  }

  async metrics(): Promise<string> {
    const counts = this.runs.counts();
    return renderMetrics({
      runsRunning: counts.running,
      runsWaiting: counts.waiting,
      slotsInUse: counts.slotsInUse,
      slotsCapacity: counts.slotsCapacity,
      uptimeMs: this.now() - this.startedAt,
      runsByState: await countRunsByState(this.options.store),
    });
  }

  /** GET /engine: what runs and what is in use; paths only for an admin (see engine-info.ts). */
  async engineInfo(actor: Actor): Promise<EngineInfo> {
    return engineInfo({
      version: VERSION,
      draining: this.draining,
      startedAt: this.startedAt,
      now: this.now(),
      dataDir: this.options.dataDir,
      store: this.options.store.describe(),
      supervisor: this.options.supervisor,
      load: this.runs.load(),
      namespaces: await this.options.store.listNamespaces(),
      // Sharing a store: the holders of every engine, not only of the runs this one runs.
      ...(this.options.store.shared ? { lockHolders: await this.options.store.shared.listLockHolders() } : {}),
      withPaths: actor.scope === "admin",
      ...(this.options.leadership ? { leading: this.options.leadership.leading } : {}),
    });
  }

  /** GET /workers: for now the engine's own machine only. */
  async listWorkers(): Promise<WorkerInfo[]> {
    return [localWorker({ hostname: hostname(), version: VERSION, startedAt: this.startedAt, now: this.now(), load: this.runs.load() }), ...(this.options.remoteWorkers?.() ?? [])];
  }

  /** A worker registered, came back or was lost: told to whoever watches the whole engine. */
  announceWorker(worker: WorkerInfo): void {
    this.bus.publishPipeline({ kind: "worker", worker });
  }

  health() {
    return { status: this.draining ? ("draining" as const) : ("ok" as const), version: VERSION, uptime_ms: this.now() - this.startedAt };
  }

  /**
   * SIGTERM: take no new work, let running runs finish for up to `graceMs`,
   * then cancel what is left (TERM, then KILL after each task's grace).
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    this.runs.stopAdmitting();
    await this.scheduler.stop();
    await this.options.leadership?.stop();
    await this.leaderChanges;
    await this.recovery.stop();
    await this.retention.stop();
    this.removedRuns?.stop();
    await this.eventTriggers.stop();
    await this.leases.stop();
    await this.runs.drain(graceMs);
    await this.sharing?.stop();
    await this.audits.stop();
  }

  /** The run is running here, or waits in one of this engine's queues. */
  isLocal(runId: string): boolean {
    return this.runs.holds(runId);
  }

  get isDraining(): boolean {
    return this.draining;
  }

  private refuseWhileDraining(): void {
    if (this.draining) throw new ServiceError("unavailable", "the engine is shutting down and takes no new runs");
  }
}
