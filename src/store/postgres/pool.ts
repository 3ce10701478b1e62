/**
 * The PostgreSQL store's connections: one bounded pool, every connection set
 * up alike, BIGINT read back as a number, and each method's work in one
 * transaction (retried when PostgreSQL aborts it for a serialization failure
 * or a deadlock, which two engines writing the same rows can meet).
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { endPool } from "./goodbye.js";
import type { Row } from "../columns.js";
import { markStoreUnavailable, RunTakenOverError } from "../errors.js";
import { askPreceded, preparedOn } from "./preceded.js";

export interface PostgresOptions {
  /** The schema to keep Spire's tables in (created by init() when missing); the database's search_path when not given. */
  schema?: string;
  /** Connections at most (10 when not given). */
  poolSize?: number;
  /** What pg_stat_activity shows for these connections ("spire" when not given). */
  applicationName?: string;
  /**
   * The engine this store serves, among several sharing the database (a
   * stable id of its data folder): the runs it makes are marked as its own,
   * and after a restart it takes up only those (listRunsInStates).
   */
  owner?: string;
  /** How long a statement (once the store is up) or a new connection may go unanswered before it is taken for lost (15 s and 10 s when not given). */
  answerDeadlineMs?: number;
}

/**
 * A statement sent over and over (a run's writes, its reads): prepared once
 * on each connection, after which the server only binds and runs it. Parsing
 * and planning a statement of several CTEs cost PostgreSQL about as much as
 * running it. Only for statements of a few shapes each (every distinct text
 * stays prepared on every connection), whose result columns never change
 * (no `SELECT *`: a prepared plan whose result type changes fails).
 */
export interface Prepared {
  readonly text: string;
  readonly name: string;
}

const preparedByText = new Map<string, Prepared>();

export function prepared(text: string): Prepared {
  let statement = preparedByText.get(text);
  if (!statement) preparedByText.set(text, (statement = { text, name: `spire_${createHash("sha256").update(text).digest("hex").slice(0, 24)}` }));
  return statement;
}

/** Statements, on a transaction's connection or (a statement that is a transaction by itself) on the pool. */
export interface Sql {
  rows(text: string | Prepared, values?: readonly unknown[]): Promise<Row[]>;
  one(text: string | Prepared, values?: readonly unknown[]): Promise<Row | undefined>;
  /** The number of rows the statement inserted, updated or deleted. */
  changes(text: string | Prepared, values?: readonly unknown[]): Promise<number>;
}

/**
 * A connection left idle inside a transaction (an engine paused by SIGSTOP
 * or a debugger, a network cut mid-method) would hold its row locks, and
 * with them every engine's appends (they all take the counter row): the
 * server ends such a session. Spire's transactions never wait on the engine
 * for long (a few statements sent back to back), so a few seconds idle
 * means the engine is not there; the paused engine's transaction is rolled
 * back and it runs it again when it wakes (25P03 below).
 */
const IDLE_IN_TRANSACTION_TIMEOUT = "5s";

/** Serialization failure and deadlock: PostgreSQL aborted the transaction, and running it again is the remedy. */
const RETRYABLE = new Set(["40001", "40P01"]);
const ATTEMPTS = 5;
/**
 * A connection lost in the middle of a transaction (the server restarted or
 * ended the session, the network dropped) rolled it back: running it again
 * on a new connection is safe. Lost as COMMIT went out, the transaction may
 * have committed or not: the server is asked which, on a new connection, by
 * the transaction's id (taken at BEGIN), and it runs again only if it did
 * not. Tried for about half a minute, the pool opening new connections
 * meanwhile: a server that restarts is back by then.
 */
const RECONNECT_ATTEMPTS = 12;

/**
 * A connection can also go silent: no reset, no error, the answer never
 * comes (a NAT or firewall that forgot it, a link that drops everything:
 * node-postgres #3003). Only a deadline of the store's own finds that out.
 * Spire's statements take milliseconds, and a lock one waits for is free
 * within IDLE_IN_TRANSACTION_TIMEOUT; so once the store is up, a statement
 * unanswered after ANSWER_DEADLINE_MS is taken for a lost connection (the
 * connection is closed, and what may run again runs on a new one), and so
 * is a new connection not set up within CONNECT_DEADLINE_MS.
 */
const ANSWER_DEADLINE_MS = 15_000;
const CONNECT_DEADLINE_MS = 10_000;

/** node-postgres reads query_timeout from a query's config as well as the client's (its types list only the latter). */
type TimedQuery = pg.QueryConfig & { query_timeout?: number };

/** The server ended the session for sitting idle in a transaction: whatever it had not committed was rolled back. */
const IDLE_IN_TRANSACTION_ENDED = "25P03";

/** Errors of the connection itself, without a SQLSTATE: what the driver and the socket say. */
const DRIVER_LOST = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/;
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);

/**
 * The socket closed or timed out (the driver's and the socket's errors), a
 * connection exception (08…), or the server ending the session (57P01–57P03,
 * 25P03). Not an error of Spire's own thrown inside a transaction (a run
 * that is not there): trying that again on a new connection would only
 * fail again, half a minute later.
 */
export function connectionLost(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== "") return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === IDLE_IN_TRANSACTION_ENDED;
  const socketCode = (error as { code?: unknown } | null)?.code;
  return (typeof socketCode === "string" && SOCKET_CODES.has(socketCode)) || (error instanceof Error && DRIVER_LOST.test(error.message));
}

/**
 * Marks an error meaning the database could not be reached or did not answer
 * (not the request's doing, nor a bug), so that the API answers 503 and
 * not 500. The error itself goes on unchanged: callers still read its code.
 */
function unreachable(error: unknown): unknown {
  if (connectionLost(error) || codeOf(error) === "53300") markStoreUnavailable(error);
  return error;
}

/** Growing pauses between tries on new connections: about half a minute in all. */
function reconnectPause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(5000, 50 * 2 ** attempt)));
}

/** A short, jittered pause before running an aborted transaction again: the two that met go at different moments. */
function abortedPause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 20));
}

/** Marks a connection lost as COMMIT went out: transaction `xid` may or may not have committed; `result` is what it returned if it did. */
class CommitOutcomeUnknown extends Error {
  constructor(
    override readonly cause: unknown,
    readonly xid: string,
    readonly result: unknown,
  ) {
    super((cause as Error).message);
  }
}

/**
 * What opens a transaction, sent ahead of its first statement in the same
 * round trip (preceded.ts) once prepared on the connection (the first
 * transaction of each connection prepares them, one round trip each). A
 * write takes its id with BEGIN: the id is what tells later whether a
 * COMMIT cut off on its way committed, and it is known before COMMIT goes
 * out. A transaction is then two round trips: its statements, the first
 * with BEGIN, and COMMIT.
 */
const OPENING = {
  write: [prepared("BEGIN"), prepared("SELECT pg_current_xact_id()::text AS xid")],
  read: [prepared("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")],
} as const;

/**
 * A transaction whose session the server has not ended yet (it sits idle in
 * it, or is committing) is `in progress`: asked again this often, for at most
 * OUTCOME_WAIT_MS (the idle session is ended within IDLE_IN_TRANSACTION_TIMEOUT).
 */
const OUTCOME_POLL_MS = 200;
const OUTCOME_WAIT_MS = 15_000;

const BIGINT_OID = 20;

/**
 * node-pg hands BIGINT back as a string (it can exceed 2^53). Every BIGINT
 * here is a time in ms, a count or a seq, far below that: a number, and an
 * error rather than a rounded value should one ever be out of range.
 */
function parseBigint(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`store: the BIGINT ${text} does not fit a number exactly, and Spire did not write it`);
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === BIGINT_OID ? parseBigint : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

export class Database {
  private readonly pool: pg.Pool;
  private closed: Promise<void> | undefined;
  /**
   * Set once the store is up (init done): from then on a lost connection is
   * waited out (RECONNECT_ATTEMPTS). Before, a database that does not answer
   * is said at once: the user has a URL to fix, not an outage to ride out.
   */
  rideOutLostConnections = false;
  /** Statements on the pool: each one a transaction by itself. */
  readonly sql: Sql;
  private readonly answerDeadlineMs: number;

  constructor(url: string, options: PostgresOptions = {}) {
    this.answerDeadlineMs = options.answerDeadlineMs ?? ANSWER_DEADLINE_MS;
    // Prepared statements (prepared()) are planned once: each is a run's write or read by keys, whose plan does not depend on
    // the values, and PostgreSQL would otherwise plan the writes' CTEs again at every execution (half their cost).
    const settings = [
      ["idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION_TIMEOUT],
      ["plan_cache_mode", "force_generic_plan"],
    ];
    if (options.schema !== undefined) settings.push(["search_path", pg.escapeIdentifier(options.schema)]);
    // Read by the runs table's default (migration 3): every run this store makes is its engine's.
    if (options.owner !== undefined) settings.push(["spire.owner", options.owner]);
    const setUp = `SELECT ${settings.map((_, index) => `set_config($${2 * index + 1}, $${2 * index + 2}, false)`).join(", ")}`;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? "spire",
      types,
      connectionTimeoutMillis: options.answerDeadlineMs ?? CONNECT_DEADLINE_MS,
      // Awaited by the pool before it hands the connection out; a failure fails the connect.
      onConnect: async (client) => void (await client.query<Row>({ text: setUp, values: settings.flat(), query_timeout: this.answerDeadlineMs } as TimedQuery)),
    });
    // An idle connection the server ended (a restart, a timeout) is dropped from
    // the pool, which opens another when needed: nothing to do, but without a
    // listener the 'error' event would end the process.
    this.pool.on("error", () => {});
    // A connection lost while checked out (between a transaction's statements) says so by an 'error' event on
    // the client itself, which would end the process unheard: the statement that next uses it fails instead.
    this.pool.on("connect", (client) => client.on("error", () => {}));
    this.sql = on((statement, values) => this.statement(statement, values));
  }

  /** A statement on `client`, with the deadline for an answer once the store is up (migrations before that may take long). */
  private ask(client: pg.ClientBase, statement: string | Prepared, values?: readonly unknown[]): Promise<pg.QueryResult<Row>> {
    return client.query<Row>(this.queryOf(statement, values));
  }

  private queryOf(statement: string | Prepared, values?: readonly unknown[]): TimedQuery {
    return {
      ...(typeof statement === "string" ? { text: statement } : { text: statement.text, name: statement.name }),
      ...(values ? { values: values as unknown[] } : {}),
      ...(this.rideOutLostConnections ? { query_timeout: this.answerDeadlineMs } : {}),
    };
  }

  /**
   * A transaction's first statement, with what opens the transaction ahead
   * of it: in its round trip when those are prepared on this connection,
   * else each in a round trip of its own, which prepares it for the next
   * transaction. The transaction's id with it, for a write.
   */
  private async opening(client: pg.ClientBase, mode: "write" | "read", statement: string | Prepared, values: readonly unknown[]) {
    const opening = OPENING[mode];
    let results: pg.QueryResult<Row>[];
    if (preparedOn(client, opening)) results = await askPreceded(client, opening, this.queryOf(statement, values));
    else {
      results = [];
      for (const step of [...opening, statement]) results.push(await this.ask(client, step, step === statement ? values : undefined));
    }
    return { result: results[results.length - 1]!, xid: mode === "write" ? String(results[1]!.rows[0]!.xid) : undefined };
  }

  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back
   * when it throws. Writes run at READ COMMITTED, where a conditional UPDATE
   * re-reads a row another transaction changed before deciding; reads that
   * take several statements run in one REPEATABLE READ snapshot. `work` may
   * run more than once (a retry), so it must not keep state of its own between tries.
   */
  async transaction<T>(work: (sql: Sql) => Promise<T>, mode: "write" | "read" = "write"): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(mode, work);
      } catch (error) {
        if (error instanceof CommitOutcomeUnknown) {
          const outcome = await this.outcomeOf(error.xid);
          if (outcome === "committed") return error.result as T;
          // Not committed: as if the connection had been lost before COMMIT. Unknown: the caller is told.
          if (outcome === undefined || !this.mayReconnect(error.cause, attempt)) throw unreachable(error.cause);
          await reconnectPause(attempt);
          continue;
        }
        if (codeOf(error) === TAKEN_OVER) throw takenOver(error);
        if (RETRYABLE.has(codeOf(error)) && attempt < ATTEMPTS) {
          await abortedPause(attempt);
          continue;
        }
        if (this.mayReconnect(error, attempt)) {
          await reconnectPause(attempt);
          continue;
        }
        throw unreachable(error);
      }
    }
  }

  /** Ends every connection (a silent one is destroyed: goodbye.ts); closing again does nothing. */
  close(): Promise<void> {
    this.closed ??= endPool(this.pool);
    return this.closed;
  }

  /**
   * One statement, a transaction by itself. Run again when PostgreSQL
   * aborted it (a serialization failure or a deadlock: nothing of it was
   * kept), and on a new connection when the server ended the session and
   * said so (the statement was then not committed); a connection that just
   * went silent mid-statement leaves its outcome unknown, and the error goes
   * to the caller.
   */
  private async statement(statement: string | Prepared, values: readonly unknown[]): Promise<pg.QueryResult<Row>> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        // No connection, nothing sent: as safe to try again as it gets.
        if (!this.mayReconnect(error, attempt)) throw unreachable(error);
        await reconnectPause(attempt);
        continue;
      }
      let ended: unknown;
      const heard = (error: unknown) => (ended = error);
      client.on("error", heard);
      let broken: Error | undefined;
      let aborted = false;
      try {
        return await this.ask(client, statement, values);
      } catch (error) {
        if (codeOf(error) === TAKEN_OVER) throw takenOver(error);
        aborted = RETRYABLE.has(codeOf(error)) && attempt < ATTEMPTS;
        if (aborted) continue;
        if (!connectionLost(error)) throw error;
        broken = error as Error;
        const notRun = codeOf(error) !== "" || codeOf(ended) !== "";
        if (!notRun || !this.mayReconnect(error, attempt)) throw unreachable(error);
      } finally {
        client.off("error", heard);
        client.release(broken);
        if (aborted) await abortedPause(attempt);
      }
      await reconnectPause(attempt);
    }
  }

  /** A lost connection, once the store is up, while tries are left: worth a new connection. */
  private mayReconnect(error: unknown, attempt: number): boolean {
    return connectionLost(error) && this.rideOutLostConnections && attempt < RECONNECT_ATTEMPTS && !this.closed;
  }

  /**
   * Whether transaction `xid` committed, asked on another connection (its
   * own was lost as COMMIT went out); undefined when that cannot be learnt:
   * the server stays out of reach while the store rides out lost
   * connections, or the transaction stays in progress too long.
   */
  private async outcomeOf(xid: string): Promise<"committed" | "aborted" | undefined> {
    const waitUntil = performance.now() + OUTCOME_WAIT_MS;
    for (let attempt = 1; attempt < RECONNECT_ATTEMPTS; ) {
      let status: unknown;
      try {
        const query: TimedQuery = { text: "SELECT pg_xact_status($1::xid8) AS status", values: [xid], query_timeout: this.answerDeadlineMs };
        status = (await this.pool.query<Row>(query)).rows[0]?.status;
      } catch (error) {
        if (!this.mayReconnect(error, attempt)) return undefined;
        await reconnectPause(attempt++);
        continue;
      }
      if (status === "committed" || status === "aborted") return status;
      if (status !== "in progress" || performance.now() > waitUntil) return undefined;
      await new Promise((resolve) => setTimeout(resolve, OUTCOME_POLL_MS));
    }
    return undefined;
  }

  private async once<T>(mode: "write" | "read", work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // What the server said as it ended the session, if it did (a paused engine reads it on waking, before COMMIT fails).
    let ended: unknown;
    const heard = (error: unknown) => (ended = error);
    client.on("error", heard);
    // A connection that failed (no SQLSTATE: it was lost) or cannot even roll back is closed, not reused.
    let broken: Error | undefined;
    const control = (text: string) =>
      this.ask(client, text).catch((error: Error) => {
        if (connectionLost(error) || text === "ROLLBACK") broken = error;
        throw error;
      });
    try {
      // Opened with the first statement (a read-only transaction's outcome does not matter: it needs no id). Until then the
      // transaction has sent nothing; after, its statements go one after another, in the order asked, each once the one
      // before it is answered (node-postgres would queue them, but that queue is deprecated).
      let previous: Promise<unknown> | undefined;
      let xid: string | undefined;
      const sql = on((statement, values) => {
        const next = () => this.ask(client, statement, values);
        const asked =
          previous === undefined
            ? this.opening(client, mode, statement, values).then((answer) => ((xid = answer.xid), answer.result))
            : previous.then(next, next);
        previous = asked;
        return asked;
      });
      let result: T;
      try {
        result = await work(sql);
      } catch (error) {
        // A lost connection cannot roll back (a silent one would only keep the ROLLBACK waiting): closing it does.
        if (connectionLost(error)) broken = error as Error;
        else if (previous) await control("ROLLBACK").catch(() => {});
        throw error;
      }
      // Nothing sent, nothing to commit.
      if (!previous) return result;
      try {
        await control("COMMIT");
      } catch (error) {
        // The server's own answer to COMMIT, or its word as it ended the session before COMMIT came (pg_terminate_backend,
        // idling in a transaction): not committed, so it may run again. Only a connection that just went silent leaves it unknown.
        const rolledBack = codeOf(error) !== "" || codeOf(ended) !== "";
        throw connectionLost(error) && !rolledBack && xid !== undefined ? new CommitOutcomeUnknown(error, xid, result) : error;
      }
      return result;
    } finally {
      client.off("error", heard);
      client.release(broken);
    }
  }
}

/** Raised by the trigger of migration 5: the run this connection's engine wrote to has another owner now. */
const TAKEN_OVER = "SPOWN";

function takenOver(error: unknown): RunTakenOverError {
  const { detail, hint } = error as { detail?: unknown; hint?: unknown };
  return new RunTakenOverError(String(detail ?? ""), String(hint ?? ""));
}

/** The SQLSTATE of a database error; "" for anything else (a lost connection, an error of Spire's own). */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : "";
}

function on(run: (statement: string | Prepared, values: readonly unknown[]) => Promise<pg.QueryResult<Row>>): Sql {
  const query = (statement: string | Prepared, values: readonly unknown[] = []) => run(statement, values);
  return {
    rows: async (text, values) => (await query(text, values)).rows,
    one: async (text, values) => (await query(text, values)).rows[0],
    changes: async (text, values) => (await query(text, values)).rowCount ?? 0,
  };
}
