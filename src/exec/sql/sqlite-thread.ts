/**
 * The thread of the SQLite process (sqlite-child.ts) that holds the
 * database: better-sqlite3 is synchronous, so a long statement blocks only
 * this thread. It reads `{ id, sql, values }` messages and answers
 * `{ id, result }` or `{ id, error }`; id 0 answers the opening.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { KEPT_ROWS, type StatementResult } from "./connection.js";
import type { ParamValue } from "./statements.js";

interface Request {
  id: number;
  sql: string;
  values: ParamValue[];
}

const send = (message: unknown) => parentPort?.postMessage(message);
const asError = (error: unknown) => ({ message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code });

let db: Database.Database;
try {
  db = new Database(String(workerData), { fileMustExist: false });
  // A database another process holds gets a few seconds, as the sqlite3 shell's .timeout would give.
  db.pragma("busy_timeout = 5000");
  send({ id: 0, result: {} });
} catch (error) {
  send({ id: 0, error: asError(error) });
}

parentPort?.on("message", (request: Request) => {
  try {
    send({ id: request.id, result: run(request) });
  } catch (error) {
    send({ id: request.id, error: asError(error) });
  }
});

function run(request: Request): StatementResult {
  // Whole 64-bit integers, as BigInt: a number would round those past 2^53.
  const statement = db.prepare(request.sql).safeIntegers(true);
  // SQLite takes booleans as 1 and 0.
  const values = request.values.map((value) => (typeof value === "boolean" ? Number(value) : value));
  if (!statement.reader) return { affected: statement.run(values).changes };
  statement.raw(true);
  const rows: unknown[][] = [];
  let rowCount = 0;
  // Only the rows the preview and outputs need are kept: a large result is counted, not held.
  for (const row of statement.iterate(values) as Iterable<unknown[]>) {
    if (rowCount++ < KEPT_ROWS) rows.push(row);
  }
  return { columns: statement.columns().map((column) => column.name), rows, rowCount };
}
