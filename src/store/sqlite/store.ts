/**
 * The SQLite adapter of the Store port. better-sqlite3 is synchronous; every
 * method does its work in one synchronous transaction and hands back a
 * promise, so callers are written for PostgreSQL's asynchronous driver too.
 */
import type { EventRow, StateChange, Store } from "../port.js";
import { Connection, type ConnectionOptions } from "./connection.js";
import { migrate } from "./migrate.js";
import * as namespaces from "./sql/namespaces.js";
import * as pipelines from "./sql/pipelines.js";
import * as watchLeases from "./sql/watchLeases.js";
import * as hookGenerations from "./sql/hook-generations.js";
import * as runs from "./sql/runs.js";
import * as taskRuns from "./sql/taskRuns.js";
import * as events from "./sql/events.js";
import * as tokens from "./sql/tokens.js";
import * as audit from "./sql/audit.js";
import { applyNamespace } from "./sql/applyNamespace.js";
import * as schedules from "./sql/schedules.js";
import * as missed from "./sql/missed.js";
import * as retention from "./sql/retention.js";
import * as afterFollows from "./sql/afterFollows.js";
import * as history from "./sql/history.js";
import * as runCreation from "./sql/run-creation.js";

/**
 * Opens (creating the file and its folder if missing) a SQLite store.
 * Call `init()` before anything else: it creates or upgrades the schema.
 */
export function openSqliteStore(file: string, options: ConnectionOptions = {}): Store {
  const conn = new Connection(file, options);
  return {
    init: async () => {
      try {
        migrate(conn);
      } catch (error) {
        throw conn.openError(error);
      }
    },
    describe: () => ({ kind: "sqlite", location: file }),
    maintain: () => conn.maintain(),
    waitsForRoom: () => conn.waitsForRoom,
    close: async () => conn.close(),

    upsertNamespace: async (row) => conn.writeTransaction(() => namespaces.upsertNamespace(conn, row)),
    getNamespace: async (name) => namespaces.getNamespace(conn, name),
    listNamespaces: async () => namespaces.listNamespaces(conn),

    upsertPipeline: async (row) => conn.writeTransaction(() => pipelines.upsertPipeline(conn, row)),
    getPipeline: async (namespace, name) => pipelines.getPipeline(conn, namespace, name),
    listPipelines: async (namespace) => pipelines.listPipelines(conn, namespace),
    listPipelineHeads: async (namespace) => pipelines.listPipelineHeads(conn, namespace),
    deletePipeline: async (namespace, name) =>
      conn.writeTransaction(() => pipelines.deletePipeline(conn, namespace, name)),

    ensureSchedule: async (namespace, pipeline, triggerKey, anchor) =>
      conn.writeTransaction(() => schedules.ensureSchedule(conn, namespace, pipeline, triggerKey, anchor)),
    claimSlots: async (claims, at) => conn.writeTransaction(() => schedules.claimSlots(conn, claims, at)),
    listMissed: async (query) => missed.listMissed(conn, query),
    listSchedules: async (namespace) => schedules.listSchedules(conn, namespace),

    createRun: async (run, event, creation) => conn.writeTransaction(() => runCreation.createRun(conn, run, event, creation)),
    createFollowerRun: async (claim, run, event, creation) =>
      conn.writeTransaction(() => afterFollows.createFollowerRun(conn, claim, run, event, run.created_at, creation)),
    listPendingFollowers: async () => afterFollows.listPendingFollowers(conn),
    settleFollowers: async (runId) => conn.writeTransaction(() => afterFollows.settleFollowers(conn, runId)),

    write: (changes) =>
      conn.batchedWrite(() => {
        const stored: EventRow[] = [];
        const patches = mergedRunPatches(changes);
        for (const [index, change] of changes.entries()) {
          // Event first: it is the record of the change; the rows are its effect.
          stored.push(events.appendEvent(conn, change.event));
          const patch = patches.get(index);
          if (patch) runs.patchRun(conn, patch);
          if (change.task) taskRuns.upsertTaskRun(conn, change.task);
          if (change.awaitsFollowers) afterFollows.markPending(conn, change.event.run_id);
        }
        return stored;
      }),

    getRun: async (id) =>
      conn.readTransaction(() => {
        const run = runs.getRunRow(conn, id);
        return run && { run, tasks: taskRuns.listTaskRuns(conn, id) };
      }),
    findRunIds: async (prefix, limit) => runs.findRunIds(conn, prefix, limit),
    listRuns: async (query) => conn.readTransaction(() => runs.listRuns(conn, query)),
    listRecentRuns: async (query) => history.listRecentRuns(conn, query),
    listRunHistory: async (query) => conn.readTransaction(() => history.listRunHistory(conn, query)),
    listEvents: async (runId, afterSeq, limit) => events.listEvents(conn, runId, afterSeq, limit),
    listEventsSince: async (afterSeq, limit) => events.listEventsSince(conn, afterSeq, limit),
    latestEventSeq: async () => events.latestEventSeq(conn),
    listRunsInStates: async (states) => runs.listRunsInStates(conn, states),
    listTriggersUnderway: async () => runs.listTriggersUnderway(conn),
    countRuns: async (query) => runs.countRuns(conn, query),

    listRunPipelines: async () => retention.listRunPipelines(conn),
    listExpiredRuns: async (query) => retention.listExpiredRuns(conn, query),
    deleteRuns: async (ids) => conn.writeTransaction(() => retention.deleteRuns(conn, ids)),
    knownRunIds: async (ids) => conn.readTransaction(() => retention.knownRunIds(conn, ids)),

    applyNamespace: async (change) => conn.writeTransaction(() => applyNamespace(conn, change)),
    setPipelinePaused: async (namespace, name, paused, detail) =>
      conn.writeTransaction(() => pipelines.setPipelinePaused(conn, namespace, name, paused, detail)),
    grantWatchLease: async (namespace, name, leaseMs, atLeast = false) => conn.writeTransaction(() => watchLeases.grantWatchLease(conn, namespace, name, leaseMs, atLeast, Date.now())),
    renewWatchLease: async (namespace, name, holder, leaseMs) => conn.writeTransaction(() => watchLeases.renewWatchLease(conn, namespace, name, holder, leaseMs, Date.now())),
    watchLease: async (namespace, name) => watchLeases.watchLease(conn, namespace, name, Date.now()),
    endWatchLease: async (namespace, name, lapsedOnly) => conn.writeTransaction(() => watchLeases.endWatchLease(conn, namespace, name, lapsedOnly, Date.now())),

    createToken: async (row) => conn.writeTransaction(() => tokens.insertToken(conn, row)),
    getToken: async (id) => tokens.getToken(conn, id),
    hookGeneration: async (namespace, pipeline) => hookGenerations.hookGeneration(conn, namespace, pipeline),
    nextHookGeneration: async (namespace, pipeline) => conn.writeTransaction(() => hookGenerations.nextHookGeneration(conn, namespace, pipeline)),
    listTokens: async () => tokens.listTokens(conn),
    revokeToken: async (id, at) => conn.writeTransaction(() => tokens.revokeToken(conn, id, at)),
    // A single statement is its own transaction; skipping BEGIN/COMMIT keeps it cheap.
    touchToken: async (id, at) => tokens.touchToken(conn, id, at),

    appendAudit: async (row) => conn.writeTransaction(() => audit.appendAudit(conn, row)),
    listAudit: async (query) => audit.listAudit(conn, query),
  };
}

/**
 * A run's patches in one write, as one: each at the place of that run's last,
 * with the later fields winning. A run with no task is started and finished
 * in one write (bench/fire: a thousand a second): one UPDATE of its row, not two.
 * Nothing between reads the row: the same transaction ends with the same row.
 */
function mergedRunPatches(changes: readonly StateChange[]): Map<number, NonNullable<StateChange["run"]>> {
  const last = new Map<string, number>();
  changes.forEach((change, index) => change.run && last.set(change.run.id, index));
  const merged = new Map<number, NonNullable<StateChange["run"]>>();
  changes.forEach((change, index) => {
    if (!change.run) return;
    const at = last.get(change.run.id)!;
    // A field given as undefined is not set (patchRun): it must not undo an earlier patch's.
    const patch = merged.get(at) ?? { id: change.run.id };
    for (const [field, value] of Object.entries(change.run)) if (value !== undefined) (patch as Record<string, unknown>)[field] = value;
    merged.set(at, patch);
  });
  return merged;
}
