/**
 * SQLite through better-sqlite3, in a child process of its own
 * (sqlite-child.ts): its calls are synchronous, so in the engine a long
 * statement would stop everything else, and nothing could interrupt it.
 * A stop kills the child; SQLite's journal undoes what was not committed.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { SqlConnection, StatementResult } from "./connection.js";
import type { ParamValue } from "./statements.js";
import { packageFile } from "../../files/package-root.js";

const CHILD = packageFile("dist", "src", "exec", "sql", "sqlite-child.js");

type Answer = { id: number; result: StatementResult } | { id: number; error: { message: string; code?: string } };

export async function openSqlite(path: string): Promise<SqlConnection> {
  // The engine's own environment, not the task's: the child reads none of it, and the task's secrets stay out of it.
  const child = fork(CHILD, [path], { stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "advanced" });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const waiting = new Map<number, { resolve: (result: StatementResult) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const ask = (sql: string, values: ParamValue[], id = ++nextId) =>
    new Promise<StatementResult>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      if (id !== 0) child.send({ id, sql, values });
    });
  child.on("message", (answer: Answer) => {
    const waiter = waiting.get(answer.id);
    waiting.delete(answer.id);
    if ("error" in answer) waiter?.reject(Object.assign(new Error(answer.error.message), answer.error.code !== undefined ? { code: answer.error.code } : {}));
    else waiter?.resolve(answer.result);
  });
  child.on("exit", (code, signal) => {
    const why = new Error(signal !== null ? `the SQLite process was stopped (${signal})` : `the SQLite process ended (exit code ${code})${stderr ? `: ${stderr.trim()}` : ""}`);
    for (const waiter of waiting.values()) waiter.reject(why);
    waiting.clear();
  });
  await ask("", [], 0).catch((error: Error) => {
    stop(child);
    throw error;
  });
  return {
    run: (sql, values) => ask(sql, values),
    abort: () => stop(child),
    async close(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.disconnect();
      await exited;
    },
  };
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
