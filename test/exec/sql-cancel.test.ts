/**
 * Canceling an `sql:` task while its statement runs, as `spire cancel`
 * does: the statement ends on the server (PostgreSQL) and the SQLite
 * process goes (it is killed), at once, and the attempt is canceled.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import type { LaunchEvents, LogLine } from "../../src/exec/port.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { POSTGRES_URL, adminPool } from "../helpers/postgres.js";
import { specFor, until } from "./fixtures.js";

checkNoLeftoverProcesses();

/** Launches the statement and cancels it once its line is in the log. */
async function cancelWhileRunning(dir: string, url: string, query: string, beforeCancel: () => Promise<void> = async () => {}, runningLine = "[1/1]") {
  const executor = new LocalExecutor({ resources: false });
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const events: LaunchEvents = { onLine: (line: LogLine) => void (line.line.startsWith(runningLine) && started()) };
  const handle = executor.launch(specFor(dir, ["sql"], { sql: { url, text: query, source: "the query", params: {}, transaction: true } }), events);
  await running;
  await beforeCancel();
  const canceledAt = Date.now();
  handle.cancel("by the test");
  const report = await handle.done;
  return { report, tookMs: Date.now() - canceledAt };
}

test("a canceled PostgreSQL statement ends on the server, and the attempt is canceled at once", async (t) => {
  const mark = `spire_cancel_${randomBytes(4).toString("hex")}`;
  const { report, tookMs } = await cancelWhileRunning(tempDir(t), POSTGRES_URL, `SELECT pg_sleep(30) AS ${mark}`);
  assert.equal(report.state, "canceled");
  assert.equal(report.reason, "canceled: by the test");
  assert.ok(tookMs < 5_000, `took ${tookMs} ms`);
  const pool = await adminPool();
  // A backend that stays connected a moment longer keeps its last query's text while idle: the statement is what must end.
  const left = async () => (await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()", [`%${mark}%`])).rows[0].n as number;
  // Within half the sleep: a statement left to run (a dropped socket alone) would be there for 30 s. A loaded machine (the
  // whole suite on two cores) has taken more than 5 s to connect the cancel and end it.
  await until(async () => (await left()) === 0, "the server to end the statement", 15_000);
});

test("a canceled SQLite statement ends with its process, and the engine's event loop was never blocked by it", async (t) => {
  const dir = tempDir(t);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  const query = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n";
  // Timers keep firing here while the statement runs: 20 ticks of 10 ms, then the cancel.
  const { report, tookMs } = await cancelWhileRunning(dir, `sqlite:${join(dir, "x.db")}`, query, () => until(() => ticks >= 20, "the event loop to go on while the statement runs", 5_000));
  clearInterval(ticker);
  assert.equal(report.state, "canceled");
  assert.ok(tookMs < 2_000, `took ${tookMs} ms`);
  // checkNoLeftoverProcesses: the SQLite process is gone.
});

test("the SQLite process ends at once when the engine goes away in the middle of a statement", async (t) => {
  const child = fork(fileURLToPath(new URL("../../src/exec/sql/sqlite-child.js", import.meta.url)), [join(tempDir(t), "x.db")], { stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "advanced" });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  const opened = await new Promise<unknown>((resolve) => child.once("message", resolve));
  assert.deepEqual(opened, { id: 0, result: {} });
  child.send({ id: 1, sql: "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n", values: [] });
  // The channel closes as it would when the engine dies (the statement is running: it never ends by itself).
  child.disconnect();
  const began = Date.now();
  assert.equal(await exited, "SIGKILL");
  assert.ok(Date.now() - began < 2_000);
});

test("a task canceled while its server does not answer the connection ends at once", async (t) => {
  // A server that takes the connection and never says a word.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const url = `postgres://postgres@127.0.0.1:${(silent.address() as AddressInfo).port}/test`;
  const { report, tookMs } = await cancelWhileRunning(tempDir(t), url, "SELECT 1", async () => {}, "connecting to");
  assert.equal(report.state, "canceled");
  assert.ok(tookMs < 2_000, `took ${tookMs} ms`);
});
