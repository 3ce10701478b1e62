/**
 * Reading what is recorded: pages of the history, one run as the API shows
 * it, its definition, its logs and its artifacts; namespaces; the audit log. Nothing here changes a run, so
 * it needs only the store, the run object cache, the log line indexes and the
 * data folder.
 */
import type { LogReader } from "../../logs/port.js";
import type { RunRow, Store, TaskRunRow } from "../../store/port.js";
import { listRunArtifacts, openRunArtifact } from "../artifacts/artifact-listing.js";
import { RUN_ID_PATTERN, runIdTime } from "../runs/ids.js";
import type { RunObjectCache } from "./run-cache.js";
import { toRunObject, toRunSummary, type RunObject } from "./run-object.js";
import { ServiceError, type AuditFilter, type NamespaceInfo, type LogPage, type LogQuery, type RunListQuery, type RunSummary } from "../service.js";
import { attemptOfTask, readTaskLog } from "./task-logs.js";
import { latestAttempts } from "../runs/task-row.js";

/** How far ahead of this engine's clock a run id may have been made (another engine, a clock stepped back). */
const CLOCK_SKEW_MS = 86_400_000;

export interface RunReadsDeps {
  store: Store;
  runObjects: RunObjectCache;
  logs: LogReader;
  dataDir: string;
  now: () => number;
}

export class RunReads {
  constructor(private readonly deps: RunReadsDeps) {}

  async listRuns(query: RunListQuery): Promise<{ runs: RunSummary[]; next_cursor: string | null }> {
    if (query.idPrefix !== undefined) return this.findRuns(query.idPrefix, query.limit);
    if (query.cursor !== undefined) this.checkRunCursor("cursor", query.cursor);
    const { cursor, idPrefix: _handledAbove, limit, ...filters } = query;
    const rows = await this.deps.store.listRuns({ ...filters, limit: limit + 1, ...(cursor !== undefined ? { before: cursor } : {}) });
    const page = rows.slice(0, query.limit);
    return { runs: page.map(toRunSummary), next_cursor: rows.length > query.limit ? page[page.length - 1]!.id : null };
  }

  /** A cursor is the id of a run made earlier; one from the future would page from the top as if it were one. */
  checkRunCursor(parameter: string, cursor: string): void {
    if (RUN_ID_PATTERN.test(cursor) && runIdTime(cursor) <= this.deps.now() + CLOCK_SKEW_MS) return;
    const problem = `${parameter}: ${JSON.stringify(cursor)} is not the id of a run made so far: pass the next_cursor of a previous page, or leave it out for the first page`;
    throw new ServiceError("bad_request", problem, [problem]);
  }

  /** Runs whose id starts with `prefix`, in id order (one page: a prefix narrows to a few). */
  private async findRuns(prefix: string, limit: number): Promise<{ runs: RunSummary[]; next_cursor: null }> {
    const ids = await this.deps.store.findRunIds(prefix, limit);
    const found = await Promise.all(ids.map((id) => this.deps.store.getRun(id)));
    return { runs: found.flatMap((stored) => (stored ? [toRunSummary(stored.run)] : [])), next_cursor: null };
  }

  async getRun(id: string): Promise<RunObject> {
    return this.deps.runObjects.get(id, async () => {
      const stored = await this.storedRun(id);
      return toRunObject(stored.run, stored.tasks);
    });
  }

  async storedRun(id: string): Promise<{ run: RunRow; tasks: TaskRunRow[] }> {
    const stored = await this.deps.store.getRun(id);
    if (!stored) throw new ServiceError("not_found", `no run with id ${id}`);
    return stored;
  }

  async readLogs(runId: string, task: string, query: LogQuery): Promise<LogPage> {
    const { tasks } = await this.storedRun(runId);
    return readTaskLog(this.deps.logs, attemptOfTask(runId, task, tasks, query.attempt), query);
  }

  async listArtifacts(runId: string) {
    const { run, tasks } = await this.storedRun(runId);
    return listRunArtifacts(this.deps.dataDir, run.id, [...latestAttempts(tasks).keys()], this.deps.store.shared);
  }

  async openArtifact(runId: string, task: string, name: string) {
    const { run, tasks } = await this.storedRun(runId);
    return openRunArtifact(this.deps.dataDir, run.id, [...latestAttempts(tasks).keys()], task, name, this.deps.store.shared);
  }

  async listNamespaces(): Promise<NamespaceInfo[]> {
    const iso = (ms: number) => new Date(ms).toISOString();
    return (await this.deps.store.listNamespaces()).map((row) => ({
      ...row,
      origin: { ...row.origin, applied_at: iso(row.origin.applied_at) },
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
    }));
  }

  async listAudit(query: AuditFilter) {
    const rows = await this.deps.store.listAudit({ ...query, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    return {
      entries: page.map((row) => ({ ...row, ts: new Date(row.ts).toISOString() })),
      next_cursor: rows.length > query.limit ? page[page.length - 1]!.seq : null,
    };
  }
}
