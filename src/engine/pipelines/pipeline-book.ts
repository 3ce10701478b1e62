/**
 * The engine's applied pipelines: applying definitions, listing and reading
 * them, deleting, pausing and resuming, and `spire watch` leases lapsing.
 * Every change is stored, audited and announced, and the triggers that
 * depend on it are refreshed before the caller hears back.
 */
import type { PipelineRow, Store } from "../../store/port.js";
import type { EventBus } from "../event-bus.js";
import type { RememberedDefinitions } from "./remembered-definitions.js";
import type { EventTriggers } from "../triggers/event-triggers.js";
import type { RunQueues } from "../runs/run-queues.js";
import type { Scheduler } from "../triggers/scheduler.js";
import type { WatchLeases } from "../triggers/watch-leases.js";
import { headOf, listedPipelines, listedPipelinesJson, summarise, type SummaryContext } from "../reads/pipeline-summary.js";
import { pipelineDetail } from "../reads/pipeline-detail.js";
import { pipelineHistory, type PipelineHistory } from "../reads/pipeline-history.js";
import { zoneOf } from "../triggers/upcoming.js";
import { notFoundPipeline, type Actor, type ApplyRequest, type ChangeSet, type PipelineDetail, type PipelineSummary, type RecentRun, type WatchLease } from "../service.js";
import { toMissedObject, type MissedObject } from "../triggers/missed-object.js";

/** Next slots of each time trigger in a pipeline's detail, unless the request says. */
const DEFAULT_NEXT_SLOTS = 10;
/** Who pauses a `spire watch` pipeline whose lease lapsed, in the audit. */
export const LEASE_ACTOR: Actor = { name: "engine (spire watch lease)", scope: "admin" };

export interface PipelineBookDeps {
  store: Store;
  /** What runs are made from: forgotten whenever definitions or paused states change. */
  definitions: RememberedDefinitions;
  bus: EventBus;
  scheduler: Scheduler;
  eventTriggers: EventTriggers;
  /** Set after construction: the leases call back into the book. */
  leases: () => WatchLeases;
  runs: RunQueues;
  now: () => number;
  /** The zone of triggers without `timezone`. */
  defaultZone: string;
  /** False for an engine inside a CLI command: it never touches schedules. */
  schedules: boolean;
  maxTasks?: number;
  audit(actor: Actor, action: string, target: string, details?: Record<string, unknown>): Promise<void>;
  warn(details: object, message: string): void;
  /** Checks a run id given as a cursor (the same check as the runs list's). */
  checkRunCursor(parameter: string, cursor: string): void;
  /** With engines sharing the store: asks the engine that holds run `runId` to cancel it (see run-requests.ts). */
  askToCancel?: (runId: string, reason: string, by: string) => Promise<void>;
  /** Tells the engines sharing the store that definitions or paused states changed (they read them again). */
  announce?: () => void;
}

export class PipelineBook {
  constructor(private readonly deps: PipelineBookDeps) {}

  async apply(actor: Actor, request: ApplyRequest): Promise<ChangeSet> {
    // Loaded on first use: the definitions' schema is most of the engine's load time, and a CLI command that only reads never needs it.
    const { applyDefinitions } = await import("./apply.js");
    const { change, rows } = await applyDefinitions(this.deps.store, actor, request, this.deps.now(), this.deps.maxTasks);
    if (!change.dry_run) {
      this.deps.runs.forgetCapacities();
      await this.refreshTriggers();
      // Runs are made from the rows just written, checked and planned, instead of from a read of them.
      this.deps.definitions.adopt(rows);
      this.deps.bus.publishPipeline({ kind: "changed", action: "apply", target: change.namespace });
    }
    return change;
  }

  async list(namespace?: string, options: { recent?: number } = {}): Promise<PipelineSummary[]> {
    const recent = options.recent ?? 0;
    const listed = await listedPipelines(this.deps.store, await this.deps.store.listPipelineHeads(namespace), recent, this.summaryContext, namespace);
    return listed.map(({ summary, recentJson }) => (recent > 0 ? { ...summary, recent: JSON.parse(recentJson) as RecentRun[] } : summary));
  }

  async listJson(namespace?: string, options: { recent?: number } = {}): Promise<string> {
    const recent = options.recent ?? 0;
    const listed = await listedPipelines(this.deps.store, await this.deps.store.listPipelineHeads(namespace), recent, this.summaryContext, namespace);
    return listedPipelinesJson(listed, recent > 0);
  }

  async get(namespace: string, name: string, options: { next?: number } = {}): Promise<PipelineDetail> {
    const row = await this.row(namespace, name);
    const [summary, origin] = await Promise.all([this.summarise(row), this.deps.store.getNamespace(namespace)]);
    return pipelineDetail(row, summary, origin, this.deps.scheduler.scheduledOf(namespace, name), { next: options.next ?? DEFAULT_NEXT_SLOTS, defaultZone: this.deps.defaultZone, now: this.deps.now() });
  }

  /** A pipeline's last runs with their tasks' states, and duration percentiles (GET /pipelines/{ns}/{name}/history). */
  async history(namespace: string, name: string, query: { limit: number; before?: string }): Promise<PipelineHistory> {
    const row = await this.row(namespace, name);
    if (query.before !== undefined) this.deps.checkRunCursor("before", query.before);
    return pipelineHistory(this.deps.store, row, query);
  }

  async delete(actor: Actor, namespace: string, name: string): Promise<void> {
    await this.row(namespace, name);
    await this.deps.store.deletePipeline(namespace, name);
    // Its runs waiting to start would start a pipeline that is gone (and its followers after them); those running end as they will.
    await this.cancelUnderWay(namespace, name, "canceled: its pipeline was removed", actor, { waitingOnly: true });
    await this.refreshTriggers();
    await this.deps.audit(actor, "pipeline.delete", `${namespace}/${name}`);
    this.deps.bus.publishPipeline({ kind: "changed", action: "pipeline.delete", target: `${namespace}/${name}` });
  }

  async setPaused(actor: Actor, namespace: string, name: string, paused: boolean, options: { reason?: string } = {}): Promise<PipelineSummary> {
    // A person's pause or resume stands: a late renewal of a lapsed `spire watch` lease must not undo it.
    await this.deps.leases().forget(namespace, name);
    return this.changePaused(actor, namespace, name, paused, options.reason !== undefined ? { reason: options.reason } : {});
  }

  async changePaused(actor: Actor, namespace: string, name: string, paused: boolean, details: { reason?: string } = {}): Promise<PipelineSummary> {
    const detail = { at: this.deps.now(), by: actor.name, reason: details.reason ?? null };
    if (!(await this.deps.store.setPipelinePaused(namespace, name, paused, detail))) throw notFoundPipeline(namespace, name);
    if (!paused && this.deps.schedules) await this.deps.scheduler.resumed(await this.row(namespace, name), this.deps.now());
    await this.refreshTriggers();
    await this.deps.audit(actor, paused ? "pipeline.pause" : "pipeline.resume", `${namespace}/${name}`, details);
    this.deps.bus.publishPipeline({ kind: "changed", action: paused ? "pipeline.pause" : "pipeline.resume", target: `${namespace}/${name}` });
    return this.summarise(await this.row(namespace, name));
  }

  /**
   * After definitions or paused states change: what fires, and which `spire
   * watch` pipelines hold leases. `announce`: false when the change came
   * from another engine (it told the others itself).
   */
  async refreshTriggers(announce = true): Promise<void> {
    this.deps.definitions.forget();
    await Promise.all([this.deps.schedules ? this.deps.scheduler.refresh() : undefined, this.deps.eventTriggers.refresh(), this.deps.leases().refresh()]);
    if (announce) this.deps.announce?.();
  }

  /** The pipelines as last seen (namespace, name, digest, paused of each), to tell a change elsewhere from none. */
  private seenHeads: string | undefined;

  /**
   * Another engine may change definitions or paused states, and `listen`
   * tells of it (its notice, or a look every minute in case one was lost):
   * what fires here follows, and, when something did change, this engine's
   * event stream says so as its own changes do (a web UI open on it shows
   * them).
   */
  async followChangesElsewhere(listen: (changed: () => void) => void): Promise<void> {
    this.seenHeads = await this.headsNow();
    listen(() => {
      void (async () => {
        await this.refreshTriggers(false);
        const heads = await this.headsNow();
        if (heads !== this.seenHeads) this.deps.bus.publishPipeline({ kind: "changed", action: "apply", target: "another engine" });
        this.seenHeads = heads;
      })().catch((error: Error) => this.deps.warn({ error: error.message }, "definitions changed through another engine could not be read"));
    });
  }

  private async headsNow(): Promise<string> {
    return JSON.stringify((await this.deps.store.listPipelineHeads()).map((head) => [head.namespace, head.name, head.digest, head.paused]));
  }

  renewWatchLease(namespace: string, name: string, holder?: string): Promise<WatchLease> {
    return this.deps.leases().renew(namespace, name, holder);
  }

  /** A `spire watch` stopped renewing its lease (killed, say): what its Ctrl-C would have done — pause, cancel what is under way. */
  async watchLapsed(namespace: string, name: string, reason: string): Promise<void> {
    await this.changePaused(LEASE_ACTOR, namespace, name, true, { reason });
    const canceled = await this.cancelUnderWay(namespace, name, `canceled: ${reason}`, LEASE_ACTOR);
    this.deps.warn({ pipeline: `${namespace}/${name}`, reason, canceled }, "paused a spire watch pipeline: its lease lapsed");
  }

  /** Slots that did not run, newest first. */
  async listMissed(namespace: string, name: string, query: { limit: number; before?: number; run?: string }): Promise<{ missed: MissedObject[]; next_cursor: number | null }> {
    await this.row(namespace, name);
    const rows = await this.deps.store.listMissed({
      namespace,
      pipeline: name,
      limit: query.limit + 1,
      ...(query.before !== undefined ? { before: query.before } : {}),
      ...(query.run !== undefined ? { run_id: query.run } : {}),
    });
    const page = rows.slice(0, query.limit);
    return { missed: page.map(toMissedObject), next_cursor: rows.length > query.limit ? page[page.length - 1]!.seq : null };
  }

  /**
   * Cancels the pipeline's runs under way (`waitingOnly`: those still queued):
   * this engine's, and with engines sharing the store, asks the others for
   * theirs (the leader runs what its triggers start, wherever the pause or
   * the removal was asked for). The ids of all of them.
   */
  private async cancelUnderWay(namespace: string, name: string, reason: string, by: Actor, options: { waitingOnly?: boolean } = {}): Promise<string[]> {
    const here = await this.deps.runs.cancelUnderWay(namespace, name, reason, options);
    const ask = this.deps.askToCancel;
    if (!ask) return here;
    const held = new Set([...here, ...this.deps.runs.heldIds()]);
    const underway = await this.deps.store.listRuns({ namespace, pipeline: name, states: options.waitingOnly ? ["queued"] : ["queued", "running"], limit: 1_000 });
    const elsewhere = underway.filter((run) => !held.has(run.id)).map((run) => run.id);
    await Promise.all(elsewhere.map((runId) => ask(runId, reason, by.name)));
    return [...here, ...elsewhere];
  }

  async row(namespace: string, name: string): Promise<PipelineRow> {
    const row = await this.deps.store.getPipeline(namespace, name);
    if (!row) throw notFoundPipeline(namespace, name);
    return row;
  }

  private async summarise(row: PipelineRow): Promise<PipelineSummary> {
    const [read] = await this.deps.store.listRecentRuns({ namespace: row.namespace, pipeline: row.name, perPipeline: 0 });
    return summarise(headOf(row), read, this.summaryContext);
  }

  /** What a pipeline's summary takes from the scheduler and the leases. */
  private get summaryContext(): SummaryContext {
    const { scheduler, defaultZone } = this.deps;
    return {
      defaultZone,
      nextFire: (namespace, name, key) => {
        const entry = scheduler.scheduledOf(namespace, name).find((scheduled) => scheduled.key === key);
        return entry?.next ? { at: entry.next.fireAt, zone: zoneOf(entry, defaultZone) } : undefined;
      },
      now: this.deps.now(),
    };
  }
}
