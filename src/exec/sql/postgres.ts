/**
 * PostgreSQL (and what speaks its protocol) through `pg`. A stop sends the
 * protocol's cancel request, so the server ends the statement (a dropped
 * socket alone leaves pg_sleep or a lock wait running there), then closes.
 */
import pg from "pg";
import { KEPT_ROWS, type SqlConnection, type StatementResult } from "./connection.js";
import type { ParamValue } from "./statements.js";

export async function openPostgres(url: string, env: Record<string, string>): Promise<SqlConnection> {
  // The task's own environment (env, env_file, secrets) may give what the URL leaves out, as it would to psql.
  const config: pg.ClientConfig = { connectionString: url, ...(env.PGPASSWORD !== undefined ? { password: env.PGPASSWORD } : {}), connectionTimeoutMillis: 30_000 };
  const client = new pg.Client(config);
  // A socket error after the connection was made reaches the running query; unheard, it would crash the engine.
  client.on("error", () => {});
  await client.connect();
  let aborted = false;
  return {
    async run(sql: string, values: ParamValue[]): Promise<StatementResult> {
      const result = await client.query({ text: sql, values, rowMode: "array" });
      const returnsRows = result.fields.length > 0;
      return {
        ...(returnsRows ? { columns: result.fields.map((field) => field.name), rows: (result.rows as unknown[][]).slice(0, KEPT_ROWS), rowCount: result.rows.length } : {}),
        ...(!returnsRows && result.rowCount !== null && /^(INSERT|UPDATE|DELETE|MERGE|COPY)/.test(result.command) ? { affected: result.rowCount } : {}),
      };
    },
    abort(): void {
      if (aborted) return;
      aborted = true;
      sendCancel(client);
      // The cancel needs a moment to reach the server; the connection goes after it either way.
      setTimeout(() => void client.end().catch(() => {}), 1_000).unref();
    },
    async close(): Promise<void> {
      await client.end().catch(() => {});
    },
  };
}

/** The protocol's CancelRequest, on a connection of its own, for the statement this client is running. */
function sendCancel(client: pg.Client): void {
  const { processID, secretKey, host, port } = client as pg.Client & { processID: number | null; secretKey: number | null };
  if (processID === null || secretKey === null) return;
  const cancel = new pg.Connection() as pg.Connection & { connect(port: number | string, host?: string): void; cancel(processID: number, secretKey: number): void };
  cancel.on("error", () => {});
  cancel.on("connect", () => {
    cancel.cancel(processID, secretKey);
    cancel.end();
  });
  // A host that is a folder is where the server's Unix socket is.
  if (host.startsWith("/")) cancel.connect(`${host}/.s.PGSQL.${port}`);
  else cancel.connect(port, host);
}
