/**
 * An `sql:` task, done by the engine (or a worker) itself through the
 * database's driver: its statements in order, in one transaction unless
 * `transaction: false`, logged like any task's output — each statement and
 * what it did on stderr, the rows it returned as a small table on stdout —
 * through the same capture (masking, patterns, tail). A failing statement
 * rolls the transaction back and fails the task with the database's words
 * and which statement it was; a timeout or a cancel stops the statement on
 * the server. The last statement's single row gives the outputs.
 *
 * The records file beside the log (in-process-attempt.ts) lets an engine
 * killed mid-way mark the attempt interrupted rather than run statements
 * again.
 */
import type { AttemptReport, LaunchEvents, LaunchSpec, SqlSpec, TaskHandle } from "../port.js";
import type { OutputCapture } from "../capture.js";
import { InProcessAttempt } from "../in-process-attempt.js";
import { formatDuration } from "../attempt.js";
import { BEGIN, errorMessage, explainConnectError, type SqlConnection, type StatementResult } from "./connection.js";
import type { BoundStatement } from "./statements.js";
import { changesRows, firstLine } from "./statement-text.js";
import { parseTarget, type SqlTarget } from "./target.js";
import { previewLines, resultOutputs } from "./preview.js";

type Ending = { state: "timed_out" | "canceled"; reason: string };

export function launchSql(spec: LaunchSpec & { sql: SqlSpec }, events: LaunchEvents = {}): TaskHandle {
  let ending: Ending | undefined;
  let connection: SqlConnection | undefined;
  let stopped!: () => void;
  const stopping = new Promise<void>((resolve) => (stopped = resolve));
  const stop = (state: Ending["state"], reason: string) => {
    if (ending) return;
    ending = { state, reason };
    connection?.abort();
    stopped();
  };
  const timer = spec.timeoutMs === undefined ? undefined : setTimeout(() => stop("timed_out", `timed out after ${formatDuration(spec.timeoutMs!)}`), spec.timeoutMs);
  const session: Session = {
    ending: () => ending,
    stopping,
    opened: (opened: SqlConnection) => {
      connection = opened;
      // Stopped while it connected: nothing more runs.
      if (ending) opened.abort();
    },
  };
  const done = execute(spec, events, session).finally(() => clearTimeout(timer));
  return { id: spec.id, cancel: (reason) => stop("canceled", reason.startsWith("canceled") ? reason : `canceled: ${reason}`), done };
}

interface Session {
  ending(): Ending | undefined;
  /** Settles when a timeout or a cancel comes. */
  stopping: Promise<void>;
  opened(connection: SqlConnection): void;
}

async function execute(spec: LaunchSpec & { sql: SqlSpec }, events: LaunchEvents, session: Session): Promise<AttemptReport> {
  const target = parseTarget(spec.sql.url);
  const attempt = new InProcessAttempt(spec, events, "error" in target || target.password === undefined ? [] : [target.password]);
  const outcome = "error" in target ? { reason: target.error } : await runAll(spec, target, attempt.capture, session);
  const stopped = session.ending();
  const state: AttemptReport["state"] = stopped ? stopped.state : outcome.reason === undefined ? "succeeded" : "failed";
  const reason = stopped ? stopped.reason : (outcome.reason ?? null);
  if (reason !== null && (stopped || !outcome.noted)) attempt.capture.note("stderr", reason);
  if (state !== "succeeded") return attempt.finish(state, reason, {});
  const { outputs, problems } = resultOutputs(outcome.last);
  for (const problem of problems) attempt.capture.note("stderr", problem);
  return attempt.finish(state, reason, outputs);
}

interface Outcome {
  /** Why it failed; undefined when every statement ran. */
  reason?: string;
  /** The last statement's result. */
  last?: StatementResult;
  /** The reason is in the log already. */
  noted?: boolean;
}

async function runAll(spec: LaunchSpec & { sql: SqlSpec }, target: SqlTarget, capture: OutputCapture, session: Session): Promise<Outcome> {
  const { sql } = spec;
  let statements: BoundStatement[];
  try {
    // The splitter is loaded with the first sql task: a process that runs none never reads it.
    const { prepareStatements } = await import("./statements.js");
    statements = prepareStatements(sql.text, target.dialect, sql.params);
  } catch (error) {
    return { reason: `the SQL of ${sql.source} could not be read: ${errorMessage(error)}` };
  }
  if (statements.length === 0) return { reason: `${sql.source} holds no statement` };
  capture.note("stderr", `connecting to ${target.display}`);
  let connection: SqlConnection | undefined;
  const opening = open(target, spec);
  try {
    // A server that does not answer is not waited for once the task is stopped.
    connection = await Promise.race([opening, session.stopping.then(() => undefined)]);
  } catch (error) {
    return { reason: explainConnectError(error, target.display) };
  }
  if (connection === undefined) {
    opening.then((late) => late.abort(), () => {});
    return {};
  }
  session.opened(connection);
  // One statement is atomic by itself; a transaction around it would only refuse the statements that cannot run in one (VACUUM, CREATE DATABASE).
  const transaction = sql.transaction && statements.length > 1;
  capture.note("stderr", `${statements.length} ${statements.length === 1 ? "statement" : "statements"} from ${sql.source}${transaction ? ", in one transaction" : sql.transaction ? "" : ", each committed on its own"}`);
  let outcome: Outcome = {};
  // The statement running when an error comes (none: BEGIN or COMMIT).
  let current: BoundStatement | undefined;
  try {
    if (transaction) await connection.run(BEGIN[target.dialect], []);
    for (const statement of statements) {
      if (session.ending()) break;
      current = statement;
      outcome = { last: await runOne(connection, statement, statements.length, capture) };
      current = undefined;
    }
    if (transaction && !session.ending()) await connection.run("COMMIT", []);
  } catch (error) {
    // Stopped (timeout, cancel): the driver's words about it are not the reason.
    if (session.ending()) return stopAfter(connection, {});
    outcome = { reason: failure(error, current, statements.length), noted: true };
    capture.note("stderr", outcome.reason!);
    if (transaction) {
      await connection.run("ROLLBACK", []).then(
        () => capture.note("stderr", "the transaction was rolled back: nothing of it was kept"),
        () => capture.note("stderr", "the transaction could not be rolled back; the database drops it with the connection"),
      );
    }
  }
  if (session.ending()) return stopAfter(connection, outcome);
  await connection.close();
  return outcome;
}

/** The server drops what was not committed with the connection. */
function stopAfter(connection: SqlConnection, outcome: Outcome): Outcome {
  connection.abort();
  return outcome;
}

async function runOne(connection: SqlConnection, statement: BoundStatement, total: number, capture: OutputCapture): Promise<StatementResult> {
  capture.note("stderr", `[${statement.index}/${total}] line ${statement.line}: ${firstLine(statement.text)}`);
  const started = Date.now();
  const result = await connection.run(statement.sql, statement.values);
  const took = formatDuration(Date.now() - started);
  if (result.columns !== undefined) {
    capture.push("stdout", `${previewLines(result).join("\n")}\n`);
    capture.note("stderr", `returned ${result.rowCount ?? 0} ${result.rowCount === 1 ? "row" : "rows"} in ${took}`);
  } else {
    const affected = changesRows(statement.text) ? result.affected : undefined;
    capture.note("stderr", affected === undefined ? `done in ${took}` : `${affected} ${affected === 1 ? "row" : "rows"} affected in ${took}`);
  }
  return result;
}

function failure(error: unknown, statement: BoundStatement | undefined, total: number): string {
  if (statement === undefined) return `the transaction failed: ${errorMessage(error)}`;
  return `statement ${statement.index} of ${total} (line ${statement.line}: ${firstLine(statement.text)}) failed: ${errorMessage(error)}`;
}

/** Each driver is loaded when a task first needs it: an engine that runs no sql task never loads mysql2. */
async function open(target: SqlTarget, spec: LaunchSpec & { sql: SqlSpec }): Promise<SqlConnection> {
  switch (target.dialect) {
    case "postgres":
      return (await import("./postgres.js")).openPostgres(spec.sql.url, spec.env);
    case "mysql":
      return (await import("./mysql.js")).openMysql(spec.sql.url, spec.env);
    case "sqlite":
      return (await import("./sqlite.js")).openSqlite(target.sqlitePath!);
  }
}
