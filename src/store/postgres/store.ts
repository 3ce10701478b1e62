/**
 * The PostgreSQL adapter of the Store port, for several engines on one
 * database. Each method is one transaction: several statements between BEGIN
 * and COMMIT (Database.transaction: BEGIN goes with the first statement, COMMIT
 * is a round trip of its own), or one statement, which PostgreSQL runs as a
 * transaction by itself (db.sql) without the COMMIT. A run's
 * own writes (createRun, write: most of what an engine sends) are grouped
 * with those asked for at the same moment into one statement of one
 * transaction (write-batches.ts).
 */
import type { Store } from "../port.js";
import { Database, type PostgresOptions } from "./pool.js";
import { assertPostgresUrl, locationOf } from "./location.js";
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
import { writeBatch } from "./sql/batch-write.js";
import { isNewRunStart } from "./sql/state-changes.js";
import { WriteBatches } from "./write-batches.js";
import { sharedStore } from "./shared.js";

/**
 * A store on the PostgreSQL database at `url` (postgres://user:password@host:port/database),
 * in `options.schema` when given. Connects lazily; call `init()` before
 * anything else: it creates the schema and its tables, or upgrades them.
 */
export function openPostgresStore(url: string, options: PostgresOptions = {}): Store {
  assertPostgresUrl(url);
  const location = locationOf(url, options.schema);
  const db = new Database(url, options);
  const { sql } = db;
  const write = db.transaction.bind(db);
  const read = <T>(work: Parameters<typeof db.transaction<T>>[0]) => db.transaction(work, "read");
  // A batch in a transaction of its own, not a statement alone: a transaction has an id before its COMMIT goes out, by which a
  // connection lost as it commits is resolved (pool.ts); a statement alone would leave its outcome unknown.
  const batches = new WriteBatches((calls) => write((tx) => writeBatch(tx, calls)));
  return {
    init: async () => {
      await migrate(db, options.schema, location);
      db.rideOutLostConnections = true;
    },
    describe: () => ({ kind: "postgres", location }),
    close: () => db.close(),
    shared: sharedStore(db, async (run, event, creation, concurrency, start) => {
      const folded = start !== undefined && isNewRunStart(run.id, start);
      const stored = await batches.add({ kind: "create", run, event, creation: creation ?? {}, placeUnder: concurrency, ...(folded ? { start } : {}) });
      return { created: stored.events[0]!, ...(stored.place ? { place: stored.place } : {}), ...(stored.started ? { started: stored.started } : {}) };
    }),

    upsertNamespace: (row) => namespaces.upsertNamespace(sql, row),
    getNamespace: (name) => namespaces.getNamespace(sql, name),
    listNamespaces: () => namespaces.listNamespaces(sql),

    upsertPipeline: (row) => pipelines.upsertPipeline(sql, row),
    getPipeline: (namespace, name) => pipelines.getPipeline(sql, namespace, name),
    listPipelines: (namespace) => pipelines.listPipelines(sql, namespace),
    listPipelineHeads: (namespace) => pipelines.listPipelineHeads(sql, namespace),
    deletePipeline: (namespace, name) => pipelines.deletePipeline(sql, namespace, name),

    ensureSchedule: (namespace, pipeline, triggerKey, anchor) => write((tx) => schedules.ensureSchedule(tx, namespace, pipeline, triggerKey, anchor)),
    claimSlots: (claims, at) => write((tx) => schedules.claimSlots(tx, claims, at)),
    listMissed: (query) => missed.listMissed(sql, query),
    listSchedules: (namespace) => schedules.listSchedules(sql, namespace),

    createRun: async (run, event, creation = {}) => (await batches.add({ kind: "create", run, event, creation })).events[0]!,
    createFollowerRun: (claim, run, event, creation) => write((tx) => afterFollows.createFollowerRun(tx, claim, run, event, run.created_at, creation)),
    listPendingFollowers: () => afterFollows.listPendingFollowers(sql),
    settleFollowers: (runId) => write((tx) => afterFollows.settleFollowers(tx, runId)),

    write: async (changes) => (changes.length === 0 ? [] : (await batches.add({ kind: "change", changes })).events),

    getRun: (id) => taskRuns.getRunWithTasks(sql, id),
    findRunIds: (prefix, limit) => runs.findRunIds(sql, prefix, limit),
    listRuns: (query) => (query.before === undefined ? runs.listRuns(sql, query) : read((tx) => runs.listRuns(tx, query))),
    listRecentRuns: (query) => history.listRecentRuns(sql, query),
    listRunHistory: (query) => (query.before === undefined ? history.listRunHistory(sql, query) : read((tx) => history.listRunHistory(tx, query))),
    listEvents: (runId, afterSeq, limit) => events.listEvents(sql, runId, afterSeq, limit),
    listEventsSince: (afterSeq, limit) => events.listEventsSince(sql, afterSeq, limit),
    latestEventSeq: () => events.latestEventSeq(sql),
    listRunsInStates: (states) => runs.listRunsInStates(sql, states),
    listTriggersUnderway: () => runs.listTriggersUnderway(sql),
    countRuns: (query) => runs.countRuns(sql, query),

    listRunPipelines: () => retention.listRunPipelines(sql),
    listExpiredRuns: (query) => retention.listExpiredRuns(sql, query),
    deleteRuns: (ids) => retention.deleteRuns(sql, ids),
    knownRunIds: (ids) => retention.knownRunIds(sql, ids),

    applyNamespace: (change) => write((tx) => applyNamespace(tx, change)),
    setPipelinePaused: (namespace, name, paused, detail) => pipelines.setPipelinePaused(sql, namespace, name, paused, detail),
    grantWatchLease: (namespace, name, leaseMs, atLeast = false) => watchLeases.grantWatchLease(sql, namespace, name, leaseMs, atLeast),
    renewWatchLease: (namespace, name, holder, leaseMs) => watchLeases.renewWatchLease(sql, namespace, name, holder, leaseMs),
    watchLease: (namespace, name) => watchLeases.watchLease(sql, namespace, name),
    endWatchLease: (namespace, name, lapsedOnly) => watchLeases.endWatchLease(sql, namespace, name, lapsedOnly),

    createToken: (row) => tokens.insertToken(sql, row),
    getToken: (id) => tokens.getToken(sql, id),
    hookGeneration: (namespace, pipeline) => hookGenerations.hookGeneration(sql, namespace, pipeline),
    nextHookGeneration: (namespace, pipeline) => hookGenerations.nextHookGeneration(sql, namespace, pipeline),
    listTokens: () => tokens.listTokens(sql),
    revokeToken: (id, at) => write((tx) => tokens.revokeToken(tx, id, at)),
    touchToken: (id, at) => tokens.touchToken(sql, id, at),

    appendAudit: (row) => audit.appendAudit(sql, row),
    listAudit: (query) => audit.listAudit(sql, query),
  };
}
