/**
 * The PostgreSQL adapter of the Store port, for several engines on one
 * database. Each method is one transaction: several statements between BEGIN
 * and COMMIT (Database.transaction), or one statement, which PostgreSQL runs
 * as a transaction by itself (db.sql) without the two round trips.
 */
import type { Store } from "../port.js";
import { Database, type PostgresOptions } from "./pool.js";
import { assertPostgresUrl, locationOf } from "./location.js";
import { migrate } from "./migrate.js";
import * as namespaces from "./sql/namespaces.js";
import * as pipelines from "./sql/pipelines.js";
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
  return {
    init: async () => {
      await migrate(db, options.schema, location);
      db.rideOutLostConnections = true;
    },
    describe: () => ({ kind: "postgres", location }),
    close: () => db.close(),
    shared: sharedStore(db),

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

    createRun: (run, event) =>
      write(async (tx) => {
        await runs.insertRun(tx, run);
        return (await events.appendEvents(tx, [event]))[0]!;
      }),
    createFollowerRun: (claim, run, event) => write((tx) => afterFollows.createFollowerRun(tx, claim, run, event, run.created_at)),
    listPendingFollowers: () => afterFollows.listPendingFollowers(sql),
    settleFollowers: (runId) => write((tx) => afterFollows.settleFollowers(tx, runId)),

    write: async (changes) => {
      if (changes.length === 0) return [];
      return write(async (tx) => {
        for (const change of changes) {
          if (change.run) await runs.patchRun(tx, change.run);
          if (change.task) await taskRuns.upsertTaskRun(tx, change.task);
          if (change.awaitsFollowers) await afterFollows.markPending(tx, change.event.run_id);
        }
        // The events last, all at once: they hold the stream's counter until the commit (events.ts).
        return events.appendEvents(tx, changes.map((change) => change.event));
      });
    },

    getRun: (id) =>
      read(async (tx) => {
        const run = await runs.getRunRow(tx, id);
        return run && { run, tasks: await taskRuns.listTaskRuns(tx, id) };
      }),
    findRunIds: (prefix, limit) => runs.findRunIds(sql, prefix, limit),
    listRuns: (query) => (query.before === undefined ? runs.listRuns(sql, query) : read((tx) => runs.listRuns(tx, query))),
    listRecentRuns: (query) => history.listRecentRuns(sql, query),
    listRunHistory: (query) => (query.before === undefined ? history.listRunHistory(sql, query) : read((tx) => history.listRunHistory(tx, query))),
    listEvents: (runId, afterSeq, limit) => events.listEvents(sql, runId, afterSeq, limit),
    listEventsSince: (afterSeq, limit) => events.listEventsSince(sql, afterSeq, limit),
    listRunsInStates: (states) => runs.listRunsInStates(sql, states),
    countRuns: (query) => runs.countRuns(sql, query),

    listRunPipelines: () => retention.listRunPipelines(sql),
    listExpiredRuns: (query) => retention.listExpiredRuns(sql, query),
    deleteRuns: (ids) => retention.deleteRuns(sql, ids),
    knownRunIds: (ids) => retention.knownRunIds(sql, ids),

    applyNamespace: (change) => write((tx) => applyNamespace(tx, change)),
    setPipelinePaused: (namespace, name, paused, detail) => pipelines.setPipelinePaused(sql, namespace, name, paused, detail),

    createToken: (row) => tokens.insertToken(sql, row),
    getToken: (id) => tokens.getToken(sql, id),
    listTokens: () => tokens.listTokens(sql),
    revokeToken: (id, at) => write((tx) => tokens.revokeToken(tx, id, at)),
    touchToken: (id, at) => tokens.touchToken(sql, id, at),

    appendAudit: (row) => audit.appendAudit(sql, row),
    listAudit: (query) => audit.listAudit(sql, query),
  };
}
