/**
 * A second writer on the same SQLite file, in its own thread with its own
 * connection, so its transactions really overlap with the main thread's.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { aRun, runCreated, taskChange } from "./fixtures.js";

interface Job {
  file: string;
  runId: string;
  writes: number;
}

const job = workerData as Job;
const store = openSqliteStore(job.file);
await store.init();
await store.createRun(aRun(job.runId), runCreated(aRun(job.runId)));
parentPort?.postMessage({ ready: true });
const seqs: number[] = [];
for (let i = 0; i < job.writes; i++) {
  const events = await store.write([taskChange(job.runId, `t${i}`, "task.started")]);
  seqs.push(...events.map((event) => event.seq));
}
await store.close();
parentPort?.postMessage({ seqs });
