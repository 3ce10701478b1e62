/**
 * MySQL and MariaDB through `mysql2`. Statements with parameters are
 * prepared on the server (execute), so values never pass through the
 * driver's client-side escaping; those without are sent as they are. A stop
 * asks the server to end the statement (KILL QUERY from a second
 * connection: a dropped socket alone leaves SLEEP() or a lock wait running
 * there), then drops the connection.
 */
import mysql from "mysql2/promise";
import { KEPT_ROWS, type SqlConnection, type StatementResult } from "./connection.js";
import type { ParamValue } from "./statements.js";

export async function openMysql(url: string, env: Record<string, string>): Promise<SqlConnection> {
  const uri = url.replace(/^mariadb:/i, "mysql:");
  const urlHasPassword = new URL(uri).password !== "";
  // MYSQL_PWD is what the mysql client reads: a password kept in the task's env_file or secrets.
  const config: mysql.ConnectionOptions = { uri, rowsAsArray: true, connectTimeout: 30_000, supportBigNumbers: true, bigNumberStrings: true, ...(!urlHasPassword && env.MYSQL_PWD !== undefined ? { password: env.MYSQL_PWD } : {}) };
  const connection = await mysql.createConnection(config);
  connection.on("error", () => {});
  let aborted = false;
  return {
    async run(sql: string, values: ParamValue[]): Promise<StatementResult> {
      const [result, fields] = values.length > 0 ? await connection.execute(sql, values) : await connection.query(sql);
      if (Array.isArray(result) && fields !== undefined) {
        const rows = result as unknown as unknown[][];
        return { columns: fields.map((field) => field.name), rows: rows.slice(0, KEPT_ROWS), rowCount: rows.length };
      }
      const header = result as mysql.ResultSetHeader;
      return typeof header.affectedRows === "number" ? { affected: header.affectedRows } : {};
    },
    abort(): void {
      if (aborted) return;
      aborted = true;
      const threadId = connection.threadId;
      void mysql
        .createConnection(config)
        .then(async (killer) => {
          killer.on("error", () => {});
          await killer.query(`KILL QUERY ${Number(threadId)}`).catch(() => {});
          await killer.end().catch(() => {});
        })
        .catch(() => {})
        .finally(() => connection.destroy());
      // However the KILL goes, the connection is gone soon.
      setTimeout(() => connection.destroy(), 2_000).unref();
    },
    async close(): Promise<void> {
      await connection.end().catch(() => {});
    },
  };
}
