/**
 * Runs in a worker thread (see checkpoints.ts): checkpoints one SQLite
 * file's WAL every few milliseconds on a connection of its own, so the
 * engine's event loop does not wait for the copying and the fsyncs. PASSIVE
 * never waits for a lock: the engine's writes carry on meanwhile. It says
 * when the WAL is big enough to start over, and when the writes have slowed
 * down for a while (the connection then takes checkpoints back).
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { STEP_ASIDE_MS, type CheckpointMessage, type CheckpointWorkerData } from "./checkpoints.js";

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

const CATCH_UP_ROUNDS = 20;

function run(data: CheckpointWorkerData): void {
  const db = new Database(data.file);
  // The same durability as the engine's connection: a checkpoint syncs the WAL, then the database.
  db.pragma("synchronous = NORMAL");
  const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  const send = (message: CheckpointMessage) => parentPort?.postMessage(message);

  /**
   * Checkpoints until the WAL is all copied (or CATCH_UP_ROUNDS): the engine
   * commits more while one round copies, and each further round has less.
   */
  const checkpointAll = (): CheckpointResult => {
    let result = checkpoint.get() as CheckpointResult;
    for (let round = 1; round < CATCH_UP_ROUNDS && result.checkpointed < result.log; round++) result = checkpoint.get() as CheckpointResult;
    return result;
  };

  /**
   * The engine's thread starts the WAL over (see checkpoints.ts). When it is
   * ready ("aside"), this one copies all it can and hands over ("ready"),
   * then keeps out of the way: a checkpoint here would hold locks that
   * starting over needs.
   */
  let standAsideUntil = 0;
  let bigSince: number | undefined;
  parentPort?.on("message", (message: CheckpointMessage) => {
    if (message !== "aside") return;
    checkpointAll();
    standAsideUntil = Date.now() + STEP_ASIDE_MS;
    bigSince = undefined;
    send("ready");
  });

  let pages = 0;
  let lastLog = 0;
  let windowStart = Date.now();
  setInterval(() => {
    const now = Date.now();
    if (now < standAsideUntil) return;
    const result = checkpointAll();
    // Said again after a few seconds: the answer may have been lost to the worker ending and starting again.
    if (result.log >= data.restartAtPages && (bigSince === undefined || now - bigSince > 3000)) {
      bigSince = now;
      send("big");
    }
    // `log` counts the frames since the WAL last started over: a restart makes it smaller.
    pages += result.log >= lastLog ? result.log - lastLog : result.log;
    lastLog = result.log;
    if (now - windowStart < data.idleAfterMs) return;
    const rate = (pages * 1000) / (now - windowStart);
    pages = 0;
    windowStart = now;
    if (rate < data.slowPagesPerSecond) send("slow");
  }, data.everyMs);
}

run(workerData as CheckpointWorkerData);
