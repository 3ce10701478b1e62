/** The SharedStore of the PostgreSQL store: what engines on one database serve of each other's runs (migration 5), their runs' places (migration 9), their tasks' lock units (migration 10) and their runs' artifact room (migration 16). */
import type { SharedStore } from "../shared-port.js";
import type { Database } from "./pool.js";
import * as logChunks from "./sql/logChunks.js";
import * as artifactFiles from "./sql/artifactFiles.js";
import * as runRequests from "./sql/runRequests.js";
import * as places from "./sql/places.js";
import * as taskLocks from "./sql/task-locks.js";
import * as missed from "./sql/missed.js";

/** `createPlacedRun`: the store's createRun with a place asked for, in its batches of new runs and changes (store.ts). */
export function sharedStore(db: Database, createPlacedRun: SharedStore["createPlacedRun"]): SharedStore {
  const { sql } = db;
  const takePlace = places.placeBatches(db);
  return {
    appendLog: (key, offset, bytes) => logChunks.appendLog(sql, key, offset, bytes),
    logSize: (key) => logChunks.logSize(sql, key),
    readLog: (key, position, length) => logChunks.readLog(sql, key, position, length),
    copyLog: (from, to) => logChunks.copyLog(sql, from, to),

    replaceArtifacts: (runId, task, files) => artifactFiles.replaceArtifacts(db, runId, task, files),
    listArtifacts: (runId) => artifactFiles.listArtifacts(sql, runId),
    openArtifact: (runId, task, name) => artifactFiles.openArtifact(sql, runId, task, name),
    copyArtifacts: (fromRun, toRun, task) => artifactFiles.copyArtifacts(db, fromRun, toRun, task),
    reserveArtifactRoom: (runId, task, decide) => artifactFiles.reserveArtifactRoom(db, runId, task, decide),

    requestRun: (request) => runRequests.requestRun(db, request),
    runRequest: (id) => runRequests.runRequest(sql, id),
    waitingRequests: () => runRequests.waitingRequests(sql),
    settleRequest: (id, outcome, at) => runRequests.settleRequest(sql, id, outcome, at),

    createPlacedRun,
    takePlace,
    settlePlaces: (key, decide) => places.settlePlaces(db, key, decide),
    holdPlace: (key, run, place) => places.holdPlace(db, key, run, place),
    takeTaskLocks: (holder, locks, beyond) => taskLocks.takeTaskLocks(sql, holder, locks, beyond),
    listLockHolders: () => taskLocks.listLockHolders(sql),

    missedSince: (afterSeq, limit) => missed.missedSince(sql, afterSeq, limit),
    latestMissedSeq: () => missed.latestMissedSeq(sql),
  };
}
