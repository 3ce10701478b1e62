/**
 * One connection of an `sql:` task, whatever the database: the port each
 * driver module (postgres.ts, mysql.ts, sqlite.ts) implements.
 */
import type { Dialect, ParamValue } from "./statements.js";

/** Rows a statement's result keeps (the preview shows fewer; outputs need only the first). */
export const KEPT_ROWS = 21;

export interface StatementResult {
  /** Present when the statement returned a result set (maybe of no rows). */
  columns?: string[];
  /** Its first KEPT_ROWS rows, each a list of values in column order. */
  rows?: unknown[][];
  /** How many rows it returned. */
  rowCount?: number;
  /** Rows inserted, changed or deleted, when the database says. */
  affected?: number;
}

export interface SqlConnection {
  run(sql: string, values: ParamValue[]): Promise<StatementResult>;
  /** Stops the statement running now (a timeout, a cancel) and drops the connection; what runs fails. */
  abort(): void;
  close(): Promise<void>;
}

/** How a transaction starts in each dialect (all end with COMMIT or ROLLBACK). */
export const BEGIN: Record<Dialect, string> = { postgres: "BEGIN", mysql: "START TRANSACTION", sqlite: "BEGIN" };

/**
 * A connection error in words that say what to check (the driver's own
 * words stay in parentheses).
 */
export function explainConnectError(error: unknown, display: string): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const what =
    code === "ECONNREFUSED" ? "nothing listens there: is the server running, and are the host and port right?"
    : code === "ENOTFOUND" || code === "EAI_AGAIN" ? "the host name is unknown: check the host in the URL"
    : code === "ETIMEDOUT" ? "no answer in time: check the host, the port and the firewall"
    : code === "28P01" || code === "28000" || code === "ER_ACCESS_DENIED_ERROR" ? "the user or password was refused: check them (the password may come from the URL, PGPASSWORD or MYSQL_PWD)"
    : code === "3D000" || code === "ER_BAD_DB_ERROR" ? "the database does not exist: check its name in the URL"
    : code === "SQLITE_CANTOPEN" ? "the file cannot be opened: does its folder exist, and may Spire write there?"
    : "check the URL, and that the server is running and reachable";
  return `could not connect to ${display}: ${what} (${message || code || "no message"})`;
}

export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code } = error as { code?: string };
  return code !== undefined && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
