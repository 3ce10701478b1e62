/**
 * The process an `sql:` task on SQLite runs in (forked by sqlite.ts), so
 * that a long statement never blocks the engine's event loop and a timeout
 * or a cancel ends it by killing the process. The database is in a thread
 * of its own (sqlite-thread.ts): this main thread stays free to notice the
 * engine going away, even in the middle of a statement, and then ends the
 * whole process at once (what was not committed is rolled back by SQLite's
 * journal). It relays messages between the engine and the thread.
 */
import { Worker } from "node:worker_threads";

const thread = new Worker(new URL("./sqlite-thread.js", import.meta.url), { workerData: process.argv[2] ?? "" });
thread.on("message", (message: unknown) => process.send?.(message));
thread.on("error", (error: Error) => {
  process.send?.({ id: 0, error: { message: error.message } });
  process.exit(1);
});
process.on("message", (message: unknown) => thread.postMessage(message));
// SIGKILL, not exit(): exit() would wait for the thread, which may be in a statement for a long time.
process.on("disconnect", () => process.kill(process.pid, "SIGKILL"));
