/**
 * The client for when no engine runs: an engine in this very process, over
 * the data folder's store, running tasks as children of this process and
 * sending notifications as the engine would. It fires no triggers (that is
 * the long-running engine's job): it answers what is asked and runs the runs
 * it is asked to start, so `spire run -f backup.yaml` from crontab records
 * its run and sends its failure webhook like a run on the engine.
 */
import { availableParallelism } from "node:os";
import type { TokenAuthority } from "../api/auth.js";
import { Engine, type EngineLogger } from "../engine/engine.js";
import type { ResourceCapacity } from "../engine/resources/reservations.js";
import type { RetentionLimits } from "../engine/runs/retention.js";
import { RunFollower } from "../engine/reads/run-follower.js";
import { ServiceError, type Actor, type StartRunRequest } from "../engine/service.js";
import { LocalExecutor } from "../exec/local-executor.js";
import { Notifier } from "../notify/notifier.js";
import { InProcessMark } from "../engine/recovery/in-process-owners.js";
import type { Store } from "../store/port.js";
import type {
  ApplyRequest,
  AuditEntry,
  ClientLocation,
  FollowOptions,
  HookInfo,
  LiveEvent,
  LogQuery,
  RunListQuery,
  SpireClient,
  TokenInfo,
} from "./port.js";

export interface InProcessOptions {
  store: Store;
  dataDir: string;
  /** Tasks at once (default: the number of CPUs). */
  parallelism?: number;
  resources?: ResourceCapacity;
  retention?: RetentionLimits;
  /** The most tasks one run may expand to (`--max-tasks`). */
  maxTasks?: number;
  /** Where the engine's and the notifier's warnings go (a person's terminal). */
  logger?: EngineLogger;
  /** The longest a finished run's notifications are waited for at close. */
  notifyGraceMs?: number;
}

/** The person at the terminal: the owner of the data folder. */
const ACTOR: Actor = { name: "local", scope: "admin" };
const NOTIFY_GRACE_MS = 60_000;

export class InProcessClient implements SpireClient {
  readonly location: ClientLocation;
  private readonly engine: Engine;
  private readonly executor = new LocalExecutor({ records: true });
  /** Tells an engine started meanwhile which runs are this process's (in-process-owners.ts). */
  private readonly mark: InProcessMark;
  private readonly notifier: Notifier;
  private auth: TokenAuthority | undefined;
  private closed = false;

  constructor(private readonly options: InProcessOptions) {
    this.location = { kind: "in-process", dataDir: options.dataDir };
    this.mark = new InProcessMark(options.dataDir);
    this.engine = new Engine({
      store: options.store,
      executor: this.executor,
      dataDir: options.dataDir,
      parallelism: options.parallelism ?? availableParallelism(),
      schedules: false,
      ...(options.resources ? { resources: options.resources } : {}),
      ...(options.retention ? { retention: options.retention } : {}),
      ...(options.maxTasks !== undefined ? { maxTasks: options.maxTasks } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.notifier = new Notifier({ store: options.store, dataDir: options.dataDir, ...(options.logger ? { logger: options.logger } : {}) });
    this.notifier.attach(this.engine);
  }

  apply(request: ApplyRequest) {
    return this.engine.apply(ACTOR, request);
  }

  listPipelines(namespace?: string) {
    return this.engine.listPipelines(namespace);
  }

  getPipeline(namespace: string, name: string, options: { next?: number } = {}) {
    return this.engine.getPipeline(namespace, name, options);
  }

  deletePipeline(namespace: string, name: string) {
    return this.engine.deletePipeline(ACTOR, namespace, name);
  }

  setPaused(namespace: string, name: string, paused: boolean, options: { reason?: string } = {}) {
    return this.engine.setPaused(ACTOR, namespace, name, paused, options);
  }

  renewWatchLease(namespace: string, name: string, holder?: string) {
    return this.engine.renewWatchLease(namespace, name, holder);
  }

  async getHook(namespace: string, name: string): Promise<HookInfo> {
    const { hookInfo } = await import("../api/hook-info.js");
    return hookInfo(this.engine, await this.tokens(), namespace, name);
  }

  async rotateHook(namespace: string, name: string): Promise<HookInfo> {
    await this.engine.getPipeline(namespace, name);
    await (await this.tokens()).rotateHook(namespace, name, ACTOR);
    return this.getHook(namespace, name);
  }

  async listMissed(namespace: string, name: string, query: { limit: number; run?: string }) {
    return (await this.engine.listMissed(namespace, name, query)).missed;
  }

  async startRun(namespace: string, name: string, request: StartRunRequest) {
    this.mark.beginning();
    const run = await this.engine.startRun(ACTOR, namespace, name, request);
    this.mark.made(run.id);
    return run;
  }

  listRuns(query: RunListQuery) {
    return this.engine.listRuns(query);
  }

  getRun(id: string) {
    return this.engine.getRun(id);
  }

  getRunDefinition(id: string) {
    return this.engine.getRunDefinition(id);
  }

  async cancelRun(id: string) {
    const run = await this.engine.getRun(id);
    // A run under way that this process did not start runs in another spire process: only that one can stop it.
    if ((run.state === "running" || run.state === "queued") && !this.engine.isLocal(id)) {
      throw new ServiceError("conflict", `run ${id} is ${run.state} in another spire process, and no engine is running to cancel it`, {
        hint: "press Ctrl-C where it runs (spire run), or start the engine (spire engine), which ends what an earlier process left",
      });
    }
    return this.engine.cancelRun(ACTOR, id);
  }

  async retryRun(id: string, request: { from?: string }) {
    this.mark.beginning();
    const run = await this.engine.retryRun(ACTOR, id, request);
    this.mark.made(run.id);
    return run;
  }

  readLogs(runId: string, task: string, query: LogQuery) {
    return this.engine.readLogs(runId, task, query);
  }

  async follow(runId: string, options: FollowOptions, onEvent: (event: LiveEvent) => void): Promise<void> {
    const follower = await RunFollower.open(this.engine, runId, { after: 0, logs: options.logs });
    await follower.start(onEvent);
  }

  collectGarbage(options: { dryRun: boolean }) {
    return this.engine.collectGarbage(ACTOR, options);
  }

  listNamespaces() {
    return this.engine.listNamespaces();
  }

  /** With no engine running, the engine in this process: this machine. */
  listWorkers() {
    return this.engine.listWorkers();
  }

  async listAudit(query: { limit: number }): Promise<AuditEntry[]> {
    return (await this.engine.listAudit(query)).entries;
  }

  async createToken(request: { name: string; scope: TokenInfo["scope"]; ttlMs?: number }) {
    return (await this.tokens()).issue({ name: request.name, scope: request.scope, ...(request.ttlMs !== undefined ? { ttlMs: request.ttlMs } : {}) }, ACTOR);
  }

  async listTokens() {
    return (await this.tokens()).list();
  }

  async revokeToken(id: string): Promise<void> {
    if (!(await (await this.tokens()).revoke(id, ACTOR))) throw new ServiceError("not_found", `no token ${id} that is not revoked`, { hint: "see the tokens and their ids with: spire token list" });
  }

  /** Ends the runs this process started that are still under way, waits for their notifications, stops the executor and the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      // What is still under way (the command failed while following its run) is canceled, not left behind.
      await this.engine.drain(0);
      await this.notifier.close(this.options.notifyGraceMs ?? NOTIFY_GRACE_MS);
      await this.executor.shutdown();
    } finally {
      this.mark.release();
      await this.options.store.close();
    }
  }

  /**
   * Tokens are signed with the engine's secret: made here, as the engine
   * would at its first start, when there is none yet. Loaded on first use:
   * the JWT library is a large share of a command's start.
   */
  private async tokens(): Promise<TokenAuthority> {
    if (!this.auth) {
      const { loadOrCreateSecret, TokenAuthority } = await import("../api/auth.js");
      this.auth = new TokenAuthority(this.options.store, await loadOrCreateSecret(this.options.dataDir));
    }
    return this.auth;
  }
}
