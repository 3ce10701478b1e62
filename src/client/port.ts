/**
 * Everything a program (the CLI first) reads from or changes in Spire, as
 * one interface. Two things stand behind it: an engine reached over its HTTP
 * API (http.ts), and, with no engine running, an engine run in the caller's
 * own process over the same data folder (in-process.ts). A command is
 * written once against this interface, so it cannot read one source and
 * change another.
 *
 * Refusals are the engine's ServiceError (code, message, details), whichever
 * stands behind; an engine that cannot be reached is EngineUnreachable.
 */
import type { PipelineDef } from "../definitions/schema.js";
import type { MissedObject } from "../engine/triggers/missed-object.js";
import type { SweepReport } from "../engine/runs/retention.js";
import type { RunObject } from "../engine/reads/run-object.js";
import type { ForwardedRequest } from "../engine/sharing/run-requests.js";
import type {
  ApplyRequest,
  ChangeSet,
  LiveEvent,
  LogFollowing,
  LogPage,
  LogQuery,
  NamespaceInfo,
  PipelineDetail,
  PipelineSummary,
  RunListQuery,
  RunSummary,
  Scope,
  StartRunRequest,
  TokenInfo,
  WatchLease,
  WorkerInfo,
} from "../engine/service.js";

export type { ApplyRequest, ChangeSet, LiveEvent, LogFollowing, LogPage, LogQuery, NamespaceInfo, PipelineDetail, PipelineSummary, RunListQuery, RunObject, RunSummary, TokenInfo, WatchLease, WorkerInfo, MissedObject, SweepReport };

/** Where the answers come from: an engine's URL, or the data folder of an engine in this process. */
export type ClientLocation = { kind: "engine"; url: string } | { kind: "in-process"; dataDir: string };

export interface AuditEntry {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface HookInfo {
  /** The path under the engine's address (`/api/v1/hooks/NS/NAME`). */
  path: string;
  token: string;
  /** The pipeline has a `webhook: true` trigger. */
  enabled: boolean;
}

export interface FollowOptions {
  /** Which log lines: all from the start, only new ones, or none. */
  logs: LogFollowing;
}

export interface SpireClient {
  readonly location: ClientLocation;

  apply(request: ApplyRequest): Promise<ChangeSet>;
  listPipelines(namespace?: string): Promise<PipelineSummary[]>;
  /** `next`: how many next slots of each time trigger trigger_info[].next gives (the engine's default when not given; at most 100). */
  getPipeline(namespace: string, name: string, options?: { next?: number }): Promise<PipelineDetail>;
  deletePipeline(namespace: string, name: string): Promise<void>;
  /** `reason`, for a pause: shown with it until it is resumed. */
  setPaused(namespace: string, name: string, paused: boolean, options?: { reason?: string }): Promise<PipelineSummary>;
  /** `holder`: this watcher's id; a lease another watcher holds is refused (conflict, details.held). */
  renewWatchLease(namespace: string, name: string, holder?: string): Promise<WatchLease>;
  getHook(namespace: string, name: string): Promise<HookInfo>;
  /** A new hook token for the pipeline; the one before stops working. */
  rotateHook(namespace: string, name: string): Promise<HookInfo>;
  /** Slots of the pipeline's time triggers that did not run, newest first; `run`: only those the same catch-up as that run passed over. */
  listMissed(namespace: string, name: string, query: { limit: number; run?: string }): Promise<MissedObject[]>;

  startRun(namespace: string, name: string, request: StartRunRequest): Promise<RunObject>;
  listRuns(query: RunListQuery): Promise<{ runs: RunSummary[]; next_cursor: string | null }>;
  getRun(id: string): Promise<RunObject>;
  getRunDefinition(id: string): Promise<PipelineDef>;
  /** `request`: passed on to the engine that runs it (engines sharing a store), which took it or has not yet. */
  cancelRun(id: string): Promise<RunObject & { request?: ForwardedRequest }>;
  retryRun(id: string, request: { from?: string }): Promise<RunObject>;
  /** With `tail` or `fromLine`, the page also says where it lies in the log (total_lines, first_line). */
  readLogs(runId: string, task: string, query: LogQuery): Promise<LogPage>;
  /**
   * Follows a run from its start to its end: every stored event, the log lines
   * asked for, progress. Resolves once run.finished has been delivered (or the
   * stream could not be had again; the caller reads the run to know which).
   */
  follow(runId: string, options: FollowOptions, onEvent: (event: LiveEvent) => void): Promise<void>;

  collectGarbage(options: { dryRun: boolean }): Promise<SweepReport>;
  listNamespaces(): Promise<NamespaceInfo[]>;
  /** The machines that run tasks: the engine's own, then the workers connected to it. */
  listWorkers(): Promise<WorkerInfo[]>;
  listAudit(query: { limit: number }): Promise<AuditEntry[]>;
  createToken(request: { name: string; scope: Scope; ttlMs?: number }): Promise<{ token: string; info: TokenInfo }>;
  listTokens(): Promise<TokenInfo[]>;
  revokeToken(id: string): Promise<void>;

  /** Lets go: an in-process engine waits for its runs' notifications and stops. */
  close(): Promise<void>;
}

/** No engine answers at the address the client was given; or one does, over TLS this client cannot trust (`tls` says why and what to do). */
export class EngineUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly tls?: { message: string; hint: string },
  ) {
    super(tls?.message ?? `cannot reach the engine at ${url}`);
  }
}
