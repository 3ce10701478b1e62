/**
 * A statement sent with the statements that open its transaction ahead of
 * it, in one round trip. node-postgres sends each query as its own exchange
 * (the next one waits for the server's answer to the last), and a
 * transaction's BEGIN, its first statement and its COMMIT were three round
 * trips, each a write, a read and a turn of the engine's event loop
 * (node-postgres was about a fifth of an engine's main thread under load:
 * docs/performance.md). Here the opening statements,
 * prepared on the connection already, are bound and executed just before
 * the statement's own messages, all before one Sync: the server runs them
 * in order and answers once. An error in any of them makes the server skip
 * the rest up to the Sync, and the transaction (opened or not) is left to
 * roll back as before: nothing runs after a failed BEGIN.
 *
 * This reaches into the driver's protocol layer (its Query's submit, the
 * connection's bind/describe/execute): pg's own way to extend it (a custom
 * Submittable, as pg-cursor does), checked by
 * test/store/postgres-round-trips.test.ts.
 */
import pg from "pg";
import type { Row } from "../columns.js";
import type { Prepared } from "./pool.js";

/** What of node-postgres's connection the opening needs (its types leave these out). */
interface ProtocolConnection {
  parsedStatements: Record<string, string>;
  bind(config: { statement: string; portal: string; values: unknown[] }): void;
  describe(config: { type: "P"; name: string }): void;
  execute(config: { portal: string }): void;
  stream: { cork?(): void; uncork?(): void };
}

function connectionOf(client: pg.ClientBase): ProtocolConnection | undefined {
  return (client as unknown as { connection?: ProtocolConnection }).connection;
}

/** Whether each of `statements` is prepared on the client's connection, so that it can be sent ahead without its Parse. */
export function preparedOn(client: pg.ClientBase, statements: readonly Prepared[]): boolean {
  // A driver that no longer keeps this record (its internals are not its API) gets each statement in a round trip of its own.
  const parsed = connectionOf(client)?.parsedStatements as Record<string, string> | undefined;
  return parsed !== undefined && statements.every((statement) => parsed[statement.name] === statement.text);
}

/**
 * `statement` with `ahead` (each prepared on this connection: preparedOn)
 * executed before it in the same round trip; the results of all, in order.
 */
export function askPreceded(
  client: pg.ClientBase,
  ahead: readonly Prepared[],
  config: pg.QueryConfig & { query_timeout?: number },
): Promise<pg.QueryResult<Row>[]> {
  return new Promise((resolve, reject) => {
    const callback = (error: Error | null, results: unknown) => (error ? reject(error) : resolve(results as pg.QueryResult<Row>[]));
    const query = new pg.Query({ ...config, callback } as pg.QueryConfig);
    // node-postgres reads a submittable's deadline from the object itself.
    if (config.query_timeout !== undefined) Object.assign(query, { query_timeout: config.query_timeout });
    // Its own Parse (when new on this connection), Bind, Describe, Execute and the Sync; an error if it refuses to send.
    const submitOwn = query.submit.bind(query) as (connection: pg.Connection) => Error | null;
    query.submit = (connection) => {
      const protocol = connection as unknown as ProtocolConnection;
      // What the driver's submit would refuse before sending anything (a name prepared with another text) is refused here
      // before the opening goes out, which would otherwise be left in the stream to run ahead of the next query.
      const previous = config.name === undefined ? undefined : protocol.parsedStatements[config.name];
      if (previous !== undefined && previous !== config.text) return new Error(`store: the statement ${config.name} is prepared with another text`) as unknown as void;
      protocol.stream.cork?.();
      try {
        for (const statement of ahead) {
          protocol.bind({ statement: statement.name, portal: "", values: [] });
          protocol.describe({ type: "P", name: "" });
          protocol.execute({ portal: "" });
        }
        return submitOwn(connection) as unknown as void;
      } finally {
        protocol.stream.uncork?.();
      }
    };
    void client.query(query);
  });
}
