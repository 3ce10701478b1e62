/**
 * Decides what to send and sends it: follows the engine's live events, reads
 * the `notify:` entries of the definition each run was made with, and
 * delivers off the run's path (nothing the engine does waits for it, and
 * nothing here can change a run's result or throw into the engine).
 * Each delivery, and each final failure, is recorded in the run's events
 * (`notify.delivered`, `notify.failed`); `missed` has no run, so it goes to
 * the engine log only.
 */
import { hostname } from "node:os";
import { dirname, isAbsolute } from "node:path";
import type { EngineLogger } from "../engine/engine.js";
import type { PipelineEvent } from "../engine/event-bus.js";
import { toMissedObject, type MissedObject } from "../engine/triggers/missed-object.js";
import { toRunObject } from "../engine/reads/run-object.js";
import type { LiveEvent, Subscription } from "../engine/service.js";
import type { NotifyDef, PipelineDef } from "../definitions/schema.js";
import type { EventRow, RunRow, RunState, Store } from "../store/port.js";
import { describe, type Channel } from "./channel.js";
import { CommandChannel } from "./command.js";
import { deliver, type DeliveryResult } from "./deliver.js";
import { missedPayload, runPayload, type Payload } from "./message.js";
import { MqttChannel } from "./mqtt.js";
import { secretMasker } from "./secrets.js";
import { WebhookChannel } from "./webhook.js";
import { COUNTED_FOR_RECOVERY, endedBadly, endSendsNothing, finishedEvent } from "./when.js";
import { WITHHELD } from "../engine/runs/task-env.js";

export interface NotifyTuning {
  webhookTimeoutMs: number;
  mqttTimeoutMs: number;
  /** Attempts after the first, for webhook (unless its definition says) and mqtt. */
  retries: number;
  backoffFirstMs: number;
  backoffMaxMs: number;
  commandTimeoutMs: number;
  killGraceMs: number;
}

export const DEFAULT_TUNING: NotifyTuning = {
  webhookTimeoutMs: 10_000,
  mqttTimeoutMs: 10_000,
  retries: 3,
  backoffFirstMs: 1000,
  backoffMaxMs: 30_000,
  commandTimeoutMs: 60_000,
  killGraceMs: 2000,
};

export interface NotifierOptions {
  store: Store;
  /** Where relative paths go when the definitions file is not on this machine (as for tasks). */
  dataDir: string;
  logger?: EngineLogger;
  /** The engine's environment: a notify command starts from it; `secrets:` are read from it. */
  environment?: Record<string, string | undefined>;
  tuning?: Partial<NotifyTuning>;
  now?: () => number;
}

/** The part of the engine the notifier listens to: every run's stored events, and what happens to pipelines outside runs. */
export interface EventSource {
  subscribe(runId: null, listener: (event: LiveEvent) => void): Subscription;
  subscribePipelines(listener: (event: PipelineEvent) => void): () => void;
  /** The definition of a run under way, when the source holds it: a run that sends nothing costs no read. */
  definitionOf?(runId: string): PipelineDef | undefined;
}

/** What one entry is sent about, and where its record goes. */
interface Occasion {
  runId: string | null;
  namespace: string;
  pipeline: PipelineDef;
  payload: Payload;
}

const quiet: EngineLogger = { info() {}, warn() {}, error() {} };

export class Notifier {
  private readonly tuning: NotifyTuning;
  private readonly logger: EngineLogger;
  private readonly environment: Record<string, string | undefined>;
  private readonly now: () => number;
  private readonly host = hostname();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  /** The notify entries of runs seen starting, so that their end needs no second read when there are none. */
  private readonly entriesOfRun = new Map<string, Promise<NotifyDef[] | undefined>>();
  private unsubscribe: (() => void) | undefined;
  private definitionOf: (runId: string) => PipelineDef | undefined = () => undefined;
  private closed = false;

  constructor(private readonly options: NotifierOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.logger = options.logger ?? quiet;
    this.environment = options.environment ?? process.env;
    this.now = options.now ?? Date.now;
  }

  /** Starts following the engine's events (before engine.recover(), so that runs it ends are seen). */
  attach(source: EventSource): void {
    if (source.definitionOf) this.definitionOf = source.definitionOf.bind(source);
    const runs = source.subscribe(null, (live) => {
      if (live.kind === "event") this.onEvent(live.event);
    });
    const pipelines = source.subscribePipelines((event) => {
      if (event.kind === "missed") this.notifyMissed(toMissedObject(event.missed));
    });
    this.unsubscribe = () => {
      runs();
      pipelines();
    };
  }

  /** Slots of a time trigger that did not run: sent to the pipeline's entries with `missed`. */
  notifyMissed(missed: MissedObject): void {
    if (this.closed) return;
    this.track(async () => {
      const row = await this.options.store.getPipeline(missed.namespace, missed.pipeline);
      if (!row) return;
      const pipeline = row.definition as PipelineDef;
      const payload = missedPayload(missed, this.host);
      for (const entry of pipeline.notify) if (entry.on.includes("missed")) this.send(entry, { runId: null, namespace: missed.namespace, pipeline, payload });
    });
  }

  /**
   * Stops following events; deliveries under way get up to `graceMs`, then
   * are abandoned (requests aborted, commands' groups ended) and recorded so.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (await this.settledWithin(graceMs)) return;
    this.logger.warn({ deliveries: this.inFlight.size, grace_ms: graceMs }, "notifications still under way at shutdown: abandoned");
    this.stopping.abort();
    await this.settledWithin(this.tuning.killGraceMs + 1000);
  }

  /** Resolves once nothing is under way (every notification decided so far was delivered or given up, and recorded). */
  async idle(): Promise<void> {
    await this.settledWithin(Infinity);
  }

  /** True when everything under way ended within `ms` (what ends meanwhile may start more: it is waited for too). */
  private async settledWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.inFlight.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const all = Promise.allSettled([...this.inFlight]);
      if (!Number.isFinite(left)) {
        await all;
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    return true;
  }

  private onEvent(event: EventRow): void {
    if (this.closed) return;
    if (event.type === "run.started") this.track(() => this.runStarted(event.run_id));
    else if (event.type !== "run.finished") return;
    // A canceled or skipped run sends nothing: its end is not even read.
    else if (endSendsNothing(event.data.state as RunState)) this.entriesOfRun.delete(event.run_id);
    else this.track(() => this.runFinished(event.run_id));
  }

  private async runStarted(runId: string): Promise<void> {
    // From memory when the engine has it (a thousand runs a second start with no notify entries).
    const known = this.definitionOf(runId);
    if (known) this.entriesOfRun.set(runId, Promise.resolve(known.notify));
    if (known && !known.notify.some((entry) => entry.on.includes("started"))) return;
    const read = this.options.store.getRun(runId);
    // A failed read leaves it unknown: the run's end reads again.
    this.entriesOfRun.set(runId, read.then((stored) => (stored?.run.definition as PipelineDef | undefined)?.notify, () => undefined));
    const stored = await read;
    if (!stored) return;
    const pipeline = stored.run.definition as PipelineDef;
    const wanted = pipeline.notify.filter((entry) => entry.on.includes("started"));
    if (wanted.length === 0) return;
    const payload = runPayload("started", toRunObject(stored.run, stored.tasks), this.host);
    for (const entry of wanted) this.send(entry, { runId, namespace: stored.run.namespace, pipeline, payload });
  }

  private async runFinished(runId: string): Promise<void> {
    const known = this.entriesOfRun.get(runId);
    this.entriesOfRun.delete(runId);
    // Known to have no entries: the common case costs no read.
    if ((await known)?.length === 0) return;
    const stored = await this.options.store.getRun(runId);
    if (!stored) return;
    const { run, tasks } = stored;
    const pipeline = run.definition as PipelineDef;
    if (pipeline.notify.length === 0) return;
    const recovered = run.state === "succeeded" && pipeline.notify.some((entry) => entry.on.includes("recovered")) && (await this.previousEndedBadly(run));
    const object = toRunObject(run, tasks);
    for (const entry of pipeline.notify) {
      const event = finishedEvent(entry.on, run.state, recovered);
      if (event) this.send(entry, { runId, namespace: run.namespace, pipeline, payload: runPayload(event, object, this.host) });
    }
  }

  /** Whether the run of the same pipeline made before this one (canceled and skipped ones passed over) failed or was interrupted. */
  private async previousEndedBadly(run: RunRow): Promise<boolean> {
    let before = run.id;
    for (let page = 0; page < 20; page++) {
      const runs = await this.options.store.listRuns({ namespace: run.namespace, pipeline: run.pipeline, before, limit: 50 });
      const counted = runs.find((candidate) => COUNTED_FOR_RECOVERY.includes(candidate.state));
      if (counted) return endedBadly(counted.state);
      if (runs.length < 50) return false;
      before = runs.at(-1)!.id;
    }
    return false;
  }

  /** Every channel of one entry, each delivered and recorded on its own. */
  private send(entry: NotifyDef, occasion: Occasion): void {
    this.track(async () => {
      for (const channel of await this.channelsOf(entry, occasion)) {
        this.track(async () => {
          const result = await deliver(channel, occasion.payload, { firstMs: this.tuning.backoffFirstMs, maxMs: this.tuning.backoffMaxMs }, this.stopping.signal);
          await this.record(occasion, channel, result);
        });
      }
    });
  }

  private async channelsOf(entry: NotifyDef, occasion: Occasion): Promise<Channel[]> {
    const channels: Channel[] = [];
    if (entry.webhook !== undefined) channels.push(new WebhookChannel(entry.webhook, { timeoutMs: this.tuning.webhookTimeoutMs, retries: this.tuning.retries }));
    if (entry.mqtt !== undefined) channels.push(new MqttChannel(entry.mqtt, { timeoutMs: this.tuning.mqttTimeoutMs, retries: this.tuning.retries }));
    if (entry.run !== undefined) {
      const cwd = await this.baseDirOf(occasion.namespace);
      const masker = await secretMasker(occasion.pipeline, cwd, this.environment);
      const mask = (text: string) => masker.mask(text);
      const output = (text: string) => this.logger.info({ run: occasion.runId, event: occasion.payload.event, output: text }, "notify command output");
      channels.push(new CommandChannel(entry.run, { cwd, env: commandEnv(this.environment), timeoutMs: this.tuning.commandTimeoutMs, killGraceMs: this.tuning.killGraceMs, mask, output }));
    }
    return channels;
  }

  private async record(occasion: Occasion, channel: Channel, result: DeliveryResult): Promise<void> {
    const type = result.ok ? "notify.delivered" : "notify.failed";
    const data = { channel: channel.kind, target: channel.target, event: occasion.payload.event, attempts: result.attempts, status: result.status, error: result.error };
    if (result.ok) this.logger.info({ run: occasion.runId, ...data }, "notification delivered");
    else this.logger.warn({ run: occasion.runId, ...data }, "notification not delivered");
    if (occasion.runId === null) return;
    await this.options.store.write([{ event: { run_id: occasion.runId, ts: this.now(), type, task_path: null, attempt: null, data } }]);
  }

  /** The same rule as the engine's for tasks: the definitions file's folder when it is on this machine, else the data folder. */
  private async baseDirOf(namespace: string): Promise<string> {
    const origin = (await this.options.store.getNamespace(namespace))?.origin;
    return origin?.path && isAbsolute(origin.path) && origin.host === this.host ? dirname(origin.path) : this.options.dataDir;
  }

  /** Runs work off the caller's path; whatever it throws is logged, never passed on. */
  private track(work: () => Promise<void>): void {
    const promise = work()
      .catch((error) => this.logger.error({ error: describe(error) }, "a notification could not be handled"))
      .finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
  }
}

/** A notify command gets the engine's environment, but not the engine's own credentials (as tasks do not). */
function commandEnv(environment: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) if (value !== undefined && !WITHHELD.has(key)) env[key] = value;
  return env;
}
