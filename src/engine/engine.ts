/**
 * The engine: pipelines by namespace, runs started over the API under each
 * pipeline's concurrency and queue policy, one parallelism limit for all,
 * live events. It talks only to ports (Store, Executor); the HTTP layer talks
 * only to it (EngineService).
 */
import type { Executor } from "../exec/port.js";
import { LineIndexes } from "../exec/log-indexes.js";
import type { PipelineDef } from "../spec/schema.js";
import { hostname } from "node:os";
import { dirname, isAbsolute } from "node:path";
import type { EventRow, PipelineRow, RunRow, RunState, Store, TaskRunRow } from "../store/port.js";
import { VERSION } from "../version.js";
import { EventBus, type PipelineEvent } from "./event-bus.js";
import { RunObjectCache } from "./run-cache.js";
import { RunReads } from "./run-reads.js";
import { EventTriggers, outsideWindow, type TriggeredStart } from "./event-triggers.js";
import { createFollowerRun } from "./after-triggers.js";
import { LogTailer } from "./log-tail.js";
import { ForeignRuns } from "./foreign-runs.js";
import { RunQueues } from "./run-queues.js";
import { renderMetrics } from "./metrics.js";
import type { PreparedRun } from "./prepared-run.js";
import type { AttemptKeeper } from "./recover.js";
import { recoverRuns } from "./restart.js";
import { attemptFiles } from "./attempt.js";
import { engineInfo, type EngineInfo } from "./engine-info.js";
import { headOf, listedPipelines, listedPipelinesJson, summarise, type SummaryContext } from "./pipeline-summary.js";
import { pipelineDetail } from "./pipeline-detail.js";
import { zoneOf } from "./upcoming.js";
import { pipelineHistory, type PipelineHistory } from "./pipeline-history.js";
import { iso, planOfRun, type RunObject } from "./run-object.js";
import { keptForRetry } from "./retry.js";
import type { ResourceCapacity } from "./reservations.js";
import { createRun, prepareRun, RunRequestError } from "./start-run.js";
import { Scheduler, type NoRun, type ScheduledStart, type SlotRun } from "./scheduler.js";
import { newRunId } from "./ids.js";
import { toMissedObject, type MissedObject } from "./missed-object.js";
import { DEFAULT_RETENTION, Retention, SWEEP_EVERY_MS, type RetentionLimits, type SweepReport } from "./retention.js";
import { DEFAULT_WATCH_LEASE_MS, WatchLeases } from "./watch-leases.js";
import { systemZone } from "../time/index.js";
import {
  ServiceError,
  notFoundPipeline,
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
  type RecentRun,
  type RunListQuery,
  type RunSummary,
  type WatchLease,
} from "./service.js";

export interface EngineLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface EngineOptions {
  store: Store;
  executor: Executor;
  /** A supervisor that outlives the engine: attempts are re-attached at start, and each result acked once stored. */
  supervisor?: AttemptKeeper;
  dataDir: string;
  parallelism: number;
  /** Cpus and memory tasks may reserve (`resources:`); default: this machine's (see engineCapacity). */
  resources?: ResourceCapacity;
  logger?: EngineLogger;
  /** Where `secrets:` are read from (the engine's own environment). */
  environment?: Record<string, string | undefined>;
  now?: () => number;
  /** The zone of triggers without `timezone` (default: this machine's). */
  defaultZone?: string;
  /** Retention of pipelines that set none (default DEFAULT_RETENTION). */
  retention?: RetentionLimits;
  /** The most artifacts one run may keep (default 1 GiB). */
  artifactLimitBytes?: number;
  /** How long a `spire watch` pipeline fires without its watcher renewing its lease (default DEFAULT_WATCH_LEASE_MS). */
  watchLeaseMs?: number;
  /**
   * False for an engine inside a CLI command (no engine running): it runs
   * what it is asked to and never touches schedules, so the engine that
   * starts later counts slots from its own first sight of each trigger.
   */
  schedules?: boolean;
  /** The most tasks one run of an applied pipeline may expand to (default DEFAULT_MAX_TASKS). */
  maxTasks?: number;
}

/** Next slots of each time trigger in a pipeline's detail, unless the request says. */
const DEFAULT_NEXT_SLOTS = 10;
/** A finished attempt's log at least this big is indexed at once (see indexFinishedLog): some 50,000 lines, read in a few ms. */
const INDEX_AT_END_BYTES = 4 << 20;
const quietLogger: EngineLogger = { info() {}, warn() {}, error() {} };
/** Who pauses a `spire watch` pipeline whose lease lapsed, in the audit. */
const LEASE_ACTOR: Actor = { name: "engine (spire watch lease)", scope: "admin" };

export class Engine implements EngineService {
  private readonly bus = new EventBus();
  private readonly runObjects = new RunObjectCache(this.bus);
  /** The runs this engine holds: queued, or running under a controller. */
  private readonly runs: RunQueues;
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly logger: EngineLogger;
  private draining = false;
  private readonly logTailer: LogTailer;
  private readonly scheduler: Scheduler;
  /** Scheduled runs of definitions that read no env file, made once per applied row and trigger (see prepareScheduled). */
  private readonly madeOnce = new WeakMap<ScheduledStart["row"], Map<string, Awaited<ReturnType<typeof prepareRun>>>>();
  private readonly eventTriggers: EventTriggers;
  private readonly retention: Retention;
  private readonly leases: WatchLeases;
  /** Runs of another process on this store that someone here follows. */
  private readonly foreignRuns: ForeignRuns;
  /** Line indexes of task logs, for reads by line number (GET …/logs?from_line=, tail=). */
  private readonly logIndexes = new LineIndexes();
  private readonly reads: RunReads;

  constructor(private readonly options: EngineOptions) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? quietLogger;
    this.reads = new RunReads({ store: options.store, runObjects: this.runObjects, logIndexes: this.logIndexes, dataDir: options.dataDir, now: this.now });
    this.runs = new RunQueues({
      store: options.store,
      executor: options.executor,
      ...(options.supervisor ? { supervisor: options.supervisor } : {}),
      dataDir: options.dataDir,
      parallelism: options.parallelism,
      ...(options.resources ? { resources: options.resources } : {}),
      ...(options.environment ? { environment: options.environment } : {}),
      ...(options.artifactLimitBytes !== undefined ? { artifactLimitBytes: options.artifactLimitBytes } : {}),
      now: this.now,
      logger: this.logger,
      publish: (events) => this.publish(events),
      progress: (progress) => this.bus.publish(progress.run_id, progress),
      followed: (run) => this.eventTriggers.followed(run),
      finished: (final) => {
        const triggerKey = final.trigger.trigger_key;
        if (typeof triggerKey === "string") this.scheduler.finished(final.namespace, final.pipeline, triggerKey, final.finished_at ?? this.now());
        this.eventTriggers.finished(final);
      },
      ended: (run) => this.eventTriggers.ended(run),
    });
    this.startedAt = this.now();
    this.foreignRuns = new ForeignRuns({
      store: options.store,
      deliver: (runId, events) => {
        this.runObjects.forget(runId);
        for (const event of events) this.bus.publishToRun(runId, { kind: "event", event });
      },
    });
    this.logTailer = new LogTailer(options.store, (runId) => this.runs.isRunning(runId) || this.foreignRuns.isActive(runId));
    this.scheduler = new Scheduler({
      store: options.store,
      now: this.now,
      defaultZone: options.defaultZone ?? systemZone(),
      prepare: (start) => this.prepareScheduled(start),
      missed: (missed) => this.bus.publishPipeline({ kind: "missed", missed }),
      warn: (message, details) => this.logger.warn(details, message),
    });
    this.eventTriggers = new EventTriggers({
      store: options.store,
      baseDirOf: (namespace) => this.baseDirOf(namespace),
      start: (start) => this.startTriggeredRun(start),
      info: (message, details) => this.logger.info(details, message),
      warn: (message, details) => this.logger.warn(details, message),
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
      lapse: (namespace, name, reason) => this.watchLapsed(namespace, name, reason),
      resume: (namespace, name) => this.changePaused(LEASE_ACTOR, namespace, name, false, { reason: "its spire watch renewed its lease again" }).then(() => {}),
      warn: (message, details) => this.logger.warn(details, message),
    });
  }

  /** Starts firing time triggers, and watch and after triggers (after recover()). */
  async startScheduler(): Promise<void> {
    await this.scheduler.refresh();
    this.scheduler.start();
    await this.eventTriggers.start();
    await this.leases.start();
    this.retention.start(
      SWEEP_EVERY_MS,
      (report) => {
        if (report.removed + report.orphans > 0) this.logger.info({ runs: report.removed, bytes: report.bytes, orphans: report.orphans }, "retention removed old runs");
      },
      (error) => this.logger.error({ error: String(error) }, "retention sweep failed"),
    );
  }

  /**
   * A slot's run, made ahead of the slot but not stored: the scheduler stamps
   * it (id, creation time) when the slot fires, stores it with its slot, then
   * admits it. A trigger whose definition reads no env file makes the same
   * run for every slot but the slot itself, so it is made once per applied
   * definition (a new apply gives new rows).
   */
  private async prepareScheduled(start: ScheduledStart): Promise<SlotRun | NoRun> {
    const { row, trigger, triggerKey, slot } = start;
    const scheduled = { kind: trigger.kind, scheduled_at: new Date(slot).toISOString(), trigger_key: triggerKey };
    try {
      const made =
        this.madeOnce.get(row)?.get(triggerKey) ??
        (await prepareRun({
          namespace: row.namespace,
          pipelineName: row.name,
          pipeline: row.definition as PipelineDef,
          args: trigger.args ?? {},
          trigger: scheduled,
          baseDir: await this.baseDirOf(row.namespace),
          secretSource: this.options.environment ?? process.env,
          now: this.now(),
        }));
      if (made.prepared.envFiles.size === 0) this.madeOnce.set(row, (this.madeOnce.get(row) ?? new Map()).set(triggerKey, made));
      let prepared = made.prepared;
      return {
        stamp: (now) => {
          prepared = { ...made.prepared, run: { ...made.prepared.run, id: newRunId(now), created_at: now, trigger: scheduled } };
          return { run: prepared.run, event: { ...made.event, run_id: prepared.run.id, ts: now, data: { ...made.event.data, trigger: scheduled } } };
        },
        admit: async (created) => {
          this.publish([created]);
          // A refused slot (queue full) is recorded as a skipped run with its reason; a fixed delay counts from now,
          // as if that run had finished at once (else its trigger would wait for a run that never comes).
          // Nobody waits for a scheduled run's object: admit() alone, not admitRun().
          await this.runs.admit(prepared).catch((error) => {
            if (!(error instanceof ServiceError)) throw error;
            this.logger.warn({ run: prepared.run.id, reason: error.message }, "scheduled run not started");
            this.scheduler.finished(row.namespace, row.name, triggerKey, this.now());
          });
        },
      };
    } catch (error) {
      if (!(error instanceof RunRequestError)) throw error;
      this.logger.warn({ pipeline: `${row.namespace}/${row.name}`, slot: new Date(slot).toISOString(), error: error.message, details: error.details }, "a scheduled run could not be made");
      return { error: [error.message, ...error.details].join(": ") };
    }
  }

  /** Slots that did not run, newest first (GET /pipelines/{ns}/{name}/missed). */
  async listMissed(namespace: string, name: string, query: { limit: number; before?: number; run?: string }): Promise<{ missed: MissedObject[]; next_cursor: number | null }> {
    await this.pipelineRow(namespace, name);
    const rows = await this.options.store.listMissed({
      namespace,
      pipeline: name,
      limit: query.limit + 1,
      ...(query.before !== undefined ? { before: query.before } : {}),
      ...(query.run !== undefined ? { run_id: query.run } : {}),
    });
    const page = rows.slice(0, query.limit);
    return { missed: page.map(toMissedObject), next_cursor: rows.length > query.limit ? page[page.length - 1]!.seq : null };
  }

  /** The definition a run under way was made with, from memory (undefined once it has ended, or before it starts). */
  definitionOf(runId: string): PipelineDef | undefined {
    return this.runs.definitionOf(runId);
  }

  /** Pipeline events outside any run (missed slots, changed definitions); returns the unsubscribe function. */
  subscribePipelines(listener: (event: PipelineEvent) => void): () => void {
    return this.bus.subscribePipelines(listener);
  }

  /** After a restart: what earlier engines left running or queued goes on here (see restart.ts). */
  async recover(): Promise<{ resumed: number; interrupted: number; requeued: number }> {
    return recoverRuns({
      store: this.options.store,
      ...(this.options.supervisor ? { supervisor: this.options.supervisor } : {}),
      environment: this.options.environment ?? process.env,
      runs: this.runs,
      now: this.now,
      warn: (message) => this.logger.warn({}, message),
      baseDirOf: (namespace) => this.baseDirOf(namespace),
      publish: (events) => this.publish(events),
    });
  }

  // ── definitions ──────────────────────────────────────────────────────────

  async apply(actor: Actor, request: ApplyRequest): Promise<ChangeSet> {
    // Loaded on first use: the definitions' schema is most of the engine's load time, and a CLI command that only reads never needs it.
    const { applyDefinitions } = await import("./apply.js");
    const change = await applyDefinitions(this.options.store, actor, request, this.now(), this.options.maxTasks);
    if (!change.dry_run) {
      this.runs.forgetCapacities();
      await this.refreshTriggers();
      this.bus.publishPipeline({ kind: "changed", action: "apply", target: change.namespace });
    }
    return change;
  }

  async listPipelines(namespace?: string, options: { recent?: number } = {}): Promise<PipelineSummary[]> {
    const recent = options.recent ?? 0;
    const listed = await listedPipelines(this.options.store, await this.options.store.listPipelineHeads(namespace), recent, this.summaryContext, namespace);
    return listed.map(({ summary, recentJson }) => (recent > 0 ? { ...summary, recent: JSON.parse(recentJson) as RecentRun[] } : summary));
  }

  async listPipelinesJson(namespace?: string, options: { recent?: number } = {}): Promise<string> {
    const recent = options.recent ?? 0;
    const listed = await listedPipelines(this.options.store, await this.options.store.listPipelineHeads(namespace), recent, this.summaryContext, namespace);
    return listedPipelinesJson(listed, recent > 0);
  }

  async getPipeline(namespace: string, name: string, options: { next?: number } = {}): Promise<PipelineDetail> {
    const row = await this.pipelineRow(namespace, name);
    const [summary, origin] = await Promise.all([this.summarise(row), this.options.store.getNamespace(namespace)]);
    return pipelineDetail(row, summary!, origin, this.scheduler.scheduledOf(namespace, name), { next: options.next ?? DEFAULT_NEXT_SLOTS, defaultZone: this.defaultZone, now: this.now() });
  }

  /** A pipeline's last runs with their tasks' states, and duration percentiles (GET /pipelines/{ns}/{name}/history). */
  async pipelineHistory(namespace: string, name: string, query: { limit: number; before?: string }): Promise<PipelineHistory> {
    const row = await this.pipelineRow(namespace, name);
    if (query.before !== undefined) this.checkRunCursor("before", query.before);
    return pipelineHistory(this.options.store, row, query);
  }

  async deletePipeline(actor: Actor, namespace: string, name: string): Promise<void> {
    await this.pipelineRow(namespace, name);
    await this.options.store.deletePipeline(namespace, name);
    await this.refreshTriggers();
    await this.audit(actor, "pipeline.delete", `${namespace}/${name}`);
    this.bus.publishPipeline({ kind: "changed", action: "pipeline.delete", target: `${namespace}/${name}` });
  }

  async setPaused(actor: Actor, namespace: string, name: string, paused: boolean, options: { reason?: string } = {}): Promise<PipelineSummary> {
    // A person's pause or resume stands: a late renewal of a lapsed `spire watch` lease must not undo it.
    this.leases.forget(namespace, name);
    return this.changePaused(actor, namespace, name, paused, options.reason !== undefined ? { reason: options.reason } : {});
  }

  private async changePaused(actor: Actor, namespace: string, name: string, paused: boolean, details: { reason?: string } = {}): Promise<PipelineSummary> {
    const detail = { at: this.now(), by: actor.name, reason: details.reason ?? null };
    if (!(await this.options.store.setPipelinePaused(namespace, name, paused, detail))) throw notFoundPipeline(namespace, name);
    if (!paused && this.options.schedules !== false) await this.scheduler.resumed(await this.pipelineRow(namespace, name), this.now());
    await this.refreshTriggers();
    await this.audit(actor, paused ? "pipeline.pause" : "pipeline.resume", `${namespace}/${name}`, details);
    this.bus.publishPipeline({ kind: "changed", action: paused ? "pipeline.pause" : "pipeline.resume", target: `${namespace}/${name}` });
    return this.summarise(await this.pipelineRow(namespace, name));
  }

  /** After definitions or paused states change: what fires, and which `spire watch` pipelines hold leases. */
  private async refreshTriggers(): Promise<void> {
    await Promise.all([this.options.schedules === false ? undefined : this.scheduler.refresh(), this.eventTriggers.refresh(), this.leases.refresh()]);
  }

  renewWatchLease(namespace: string, name: string): Promise<WatchLease> {
    return this.leases.renew(namespace, name);
  }

  /** A `spire watch` stopped renewing its lease (killed, say): what its Ctrl-C would have done — pause, cancel what is under way. */
  private async watchLapsed(namespace: string, name: string, reason: string): Promise<void> {
    await this.changePaused(LEASE_ACTOR, namespace, name, true, { reason });
    const canceled = await this.runs.cancelUnderWay(namespace, name, `canceled: ${reason}`);
    this.logger.warn({ pipeline: `${namespace}/${name}`, reason, canceled }, "paused a spire watch pipeline: its lease lapsed");
  }

  private async pipelineRow(namespace: string, name: string) {
    const row = await this.options.store.getPipeline(namespace, name);
    if (!row) throw notFoundPipeline(namespace, name);
    return row;
  }

  private async summarise(row: PipelineRow): Promise<PipelineSummary> {
    const [read] = await this.options.store.listRecentRuns({ namespace: row.namespace, pipeline: row.name, perPipeline: 0 });
    return summarise(headOf(row), read, this.summaryContext);
  }

  /** What a pipeline's summary takes from the scheduler and the leases. */
  private get summaryContext(): SummaryContext {
    return {
      defaultZone: this.defaultZone,
      nextFire: (namespace, name, key) => {
        const entry = this.scheduler.scheduledOf(namespace, name).find((scheduled) => scheduled.key === key);
        return entry?.next ? { at: entry.next.fireAt, zone: zoneOf(entry, this.defaultZone) } : undefined;
      },
      now: this.now(),
      leaseReason: (namespace, name) => this.leases.pausedWhy(namespace, name),
    };
  }

  /** The zone of triggers without `timezone`. */
  private get defaultZone(): string {
    return this.options.defaultZone ?? systemZone();
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  async startRun(actor: Actor, namespace: string, name: string, request: { args: Record<string, unknown>; partition?: string }): Promise<RunObject> {
    this.refuseWhileDraining();
    const row = await this.pipelineRow(namespace, name);
    const baseDir = await this.baseDirOf(namespace);
    const prepared = await this.prepare(() =>
      createRun(this.options.store, {
        namespace,
        pipelineName: name,
        pipeline: row.definition as PipelineDef,
        args: request.args,
        trigger: { kind: "manual", scheduled_at: null, actor: actor.name },
        baseDir,
        partition: request.partition ?? null,
        secretSource: this.options.environment ?? process.env,
        now: this.now(),
      }),
    );
    await this.audit(actor, "run.start", `${namespace}/${name}`, { run: prepared.run.id });
    return this.admitRun(prepared);
  }

  async startHookRun(namespace: string, name: string, args: Record<string, unknown>): Promise<RunObject> {
    const row = await this.pipelineRow(namespace, name);
    const hook = (row.definition as PipelineDef).triggers.findIndex((trigger) => trigger.kind === "webhook");
    if (hook < 0) throw new ServiceError("not_found", `${namespace}/${name} has no webhook trigger`, { hint: "add `- webhook: true` to its triggers" });
    return this.startTriggeredRun({ namespace, name, index: hook, kind: "webhook", actor: "webhook", args });
  }

  /**
   * The one way an event trigger (webhook, watch, after) starts a run: the
   * trigger's own args, then the caller's; refused while the pipeline is
   * paused or outside the trigger's start/end; then admitted like any run.
   */
  private async startTriggeredRun(start: TriggeredStart): Promise<RunObject> {
    this.refuseWhileDraining();
    const { namespace, name, index, kind } = start;
    const row = await this.pipelineRow(namespace, name);
    const definition = row.definition as PipelineDef;
    const trigger = definition.triggers[index];
    // The definition may have changed since the event: a trigger that is gone starts nothing.
    if (trigger?.kind !== kind) throw new ServiceError("conflict", `${namespace}/${name} no longer has this ${kind} trigger`);
    if (row.paused) throw new ServiceError("conflict", `${namespace}/${name} is paused: its triggers do not start runs`, { hint: `spire resume ${namespace}/${name}` });
    const outside = outsideWindow(trigger, this.options.defaultZone ?? systemZone(), this.now());
    if (outside !== undefined) throw new ServiceError("conflict", `${namespace}/${name} does not start now: ${outside}`);
    const prepared = await this.prepare(async () => {
      const request = {
        namespace,
        pipelineName: name,
        pipeline: definition,
        args: { ...(trigger.args ?? {}), ...(start.args ?? {}) },
        trigger: { kind, scheduled_at: new Date(this.now()).toISOString(), trigger_key: `${index}:${kind}`, ...start.details },
        baseDir: await this.baseDirOf(namespace),
        secretSource: this.options.environment ?? process.env,
        now: this.now(),
      };
      // A follower's run is stored with its claim: made once per finished run, whichever engine makes it.
      if (start.follows === undefined) return createRun(this.options.store, request);
      return createFollowerRun(this.options.store, request, { source_run: start.follows, namespace, pipeline: name, trigger_key: `${index}:${kind}` });
    });
    await this.options.store.appendAudit({ ts: this.now(), actor: start.actor, action: "run.start", target: `${namespace}/${name}`, details: { run: prepared.run.id } });
    return this.admitRun(prepared);
  }

  async retryRun(actor: Actor, id: string, request: { from?: string }): Promise<RunObject> {
    this.refuseWhileDraining();
    const original = await this.storedRun(id);
    if (original.run.state === "running" || original.run.state === "queued") {
      throw new ServiceError("conflict", `run ${id} is still ${original.run.state}; cancel it or wait for it to end before retrying`);
    }
    const definition = original.run.definition as PipelineDef;
    const secretArgs = Object.entries(definition.args).filter(([, def]) => "secret" in def && def.secret).map(([name]) => name);
    if (secretArgs.length > 0) {
      throw new ServiceError("conflict", `run ${id} took secret arguments (${secretArgs.join(", ")}), which are not stored: start a new run with them instead of retrying`);
    }
    const plan = planOfRun(original.run);
    if (!plan) throw new ServiceError("conflict", `run ${id} was made with a definition this engine cannot plan`);
    const kept = keptForRetry(plan, original.tasks, request.from);
    if ("error" in kept) throw new ServiceError("bad_request", kept.error);
    const baseDir = await this.baseDirOf(original.run.namespace);
    const prepared = await this.prepare(() =>
      createRun(this.options.store, {
        namespace: original.run.namespace,
        pipelineName: original.run.pipeline,
        pipeline: definition,
        args: original.run.args,
        trigger: { kind: "retry", scheduled_at: original.run.trigger.scheduled_at ?? null, of: id, ...(request.from ? { from: request.from } : {}) },
        baseDir,
        partition: original.run.partition,
        secretSource: this.options.environment ?? process.env,
        now: this.now(),
      }),
    );
    prepared.kept = kept.kept;
    await this.audit(actor, "run.retry", id, { run: prepared.run.id, from: request.from ?? null });
    return this.admitRun(prepared);
  }

  private async prepare(make: () => Promise<PreparedRun>): Promise<PreparedRun> {
    try {
      const prepared = await make();
      this.publish(await this.options.store.listEvents(prepared.run.id, 0, 10));
      return prepared;
    } catch (error) {
      if (error instanceof RunRequestError) {
        throw new ServiceError(error.code === "bad_args" ? "invalid_args" : "invalid_definitions", error.message, error.details);
      }
      throw error;
    }
  }

  /** Admits a stored run and answers with its object; a refusal says which run it recorded as skipped. */
  private async admitRun(prepared: PreparedRun): Promise<RunObject> {
    try {
      await this.runs.admit(prepared);
    } catch (error) {
      if (error instanceof ServiceError && error.code === "queue_full") throw new ServiceError(error.code, error.message, { run: await this.getRun(prepared.run.id) });
      throw error;
    }
    return this.getRun(prepared.run.id);
  }

  async cancelRun(actor: Actor, id: string): Promise<RunObject> {
    const stored = await this.storedRun(id);
    if (!(await this.runs.cancel(stored.run, `canceled by ${actor.name}`))) throw new ServiceError("conflict", `run ${id} is ${stored.run.state}: there is nothing to cancel`);
    await this.audit(actor, "run.cancel", id);
    return this.getRun(id);
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

  async getRunDefinition(id: string): Promise<PipelineDef> {
    return (await this.reads.storedRun(id)).run.definition as PipelineDef;
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
    if (!options.dryRun) await this.audit(actor, "gc", "runs", { runs: report.removed, bytes: report.bytes, orphans: report.orphans });
    return report;
  }

  subscribe(runId: string | null, listener: (event: LiveEvent) => void, options: { logs?: LogFollowing } = {}): Subscription {
    const unsubscribeBus = this.bus.subscribe(runId, listener);
    // A run this engine does not hold is run elsewhere (or has ended): its events are read from the store.
    const unwatch = runId !== null && !this.isLocal(runId) ? this.foreignRuns.watch(runId) : undefined;
    const unsubscribe = () => {
      unsubscribeBus();
      unwatch?.();
    };
    // Progress is not stored: a follower that comes late is told where each running task stands.
    if (runId !== null) for (const progress of this.runs.progressOf(runId)) listener(progress);
    const logs = options.logs ?? "all";
    if (runId === null || logs === "none") return Object.assign(() => void unsubscribe(), { caughtUp: () => Promise.resolve() });
    const tail = this.logTailer.follow(runId, listener, logs === "new" ? "now" : "start");
    return Object.assign(
      () => {
        unsubscribe();
        tail.stop();
      },
      { caughtUp: () => tail.caughtUp() },
    );
  }

  private publish(events: EventRow[]): void {
    for (const event of events) {
      this.bus.publish(event.run_id, { kind: "event", event });
      if (event.type === "task.finished" && event.task_path !== null && event.attempt !== null) this.indexFinishedLog(event.run_id, event.task_path, event.attempt);
    }
  }

  /**
   * A big log is indexed as soon as its attempt ends, so that the first
   * reader of any screen of it does not wait for a read of the whole file;
   * a small one is read faster than its index would be, when first asked.
   */
  private indexFinishedLog(runId: string, path: string, attempt: number): void {
    const { logFile } = attemptFiles(this.options.dataDir, runId, path, attempt);
    this.logIndexes.warm(logFile, INDEX_AT_END_BYTES).catch((error) => this.logger.warn({ run: runId, task: path, error: String(error) }, "a task log could not be indexed"));
  }

  // ── the rest ─────────────────────────────────────────────────────────────

  async listNamespaces(): Promise<NamespaceInfo[]> {
    const iso = (ms: number) => new Date(ms).toISOString();
    return (await this.options.store.listNamespaces()).map((row) => ({
      ...row,
      origin: { ...row.origin, applied_at: iso(row.origin.applied_at) },
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
    }));
  }

  async listAudit(query: AuditFilter) {
    const rows = await this.options.store.listAudit({ ...query, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    return {
      entries: page.map((row) => ({ ...row, ts: new Date(row.ts).toISOString() })),
      next_cursor: rows.length > query.limit ? page[page.length - 1]!.seq : null,
    };
  }

  private async audit(actor: Actor, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    await this.options.store.appendAudit({ ts: this.now(), actor: actor.name, action, target, details });
  }

  async metrics(): Promise<string> {
    const counts = this.runs.counts();
    return renderMetrics({
      runsRunning: counts.running,
      runsWaiting: counts.waiting,
      slotsInUse: counts.slotsInUse,
      slotsCapacity: counts.slotsCapacity,
      uptimeMs: this.now() - this.startedAt,
      runsByState: await this.countRunsByState(),
    });
  }

  private async countRunsByState(): Promise<Partial<Record<RunState, number>>> {
    const states: RunState[] = ["queued", "running", "succeeded", "failed", "canceled", "skipped", "interrupted"];
    const counts = await Promise.all(states.map((state) => this.options.store.countRuns({ states: [state] })));
    return Object.fromEntries(states.map((state, index) => [state, counts[index]!]));
  }

  /**
   * Relative paths in a definition (cwd, env_file, script) are relative to the
   * file it was applied from, when that file is on this machine; else to the data folder.
   */
  private async baseDirOf(namespace: string): Promise<string> {
    const origin = (await this.options.store.getNamespace(namespace))?.origin;
    return origin?.path && isAbsolute(origin.path) && origin.host === hostname() ? dirname(origin.path) : this.options.dataDir;
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
      withPaths: actor.scope === "admin",
    });
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
    await this.retention.stop();
    await this.eventTriggers.stop();
    await this.leases.stop();
    await this.runs.drain(graceMs);
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
