/**
 * The statements of an `sql:` task's text, each with its named parameters
 * bound. Splitting is dbgate-query-splitter's: it knows each database's
 * quotes, comments, PostgreSQL's dollar-quoting and MySQL's DELIMITER. Its
 * tokenizer also finds `:name` parameters outside strings and comments; each
 * becomes the driver's own placeholder, and its value travels beside the
 * text, so no value is ever spliced into SQL. Pure.
 *
 * Loaded when an sql task first runs (sql-attempt.ts): dbgate-query-splitter
 * is CommonJS, and node's scan of its exports at start, hot enough for
 * TurboFan, cost the supervisor (which never runs an sql task) 4.6 MB.
 */
import { mysqlSplitterOptions, postgreSplitterOptions, splitQuery, sqliteSplitterOptions, type SplitterOptions } from "dbgate-query-splitter";
import { scanToken } from "dbgate-query-splitter/lib/splitQuery.js";

export type Dialect = "postgres" | "mysql" | "sqlite";

export type ParamValue = string | number | boolean | null;

export interface BoundStatement {
  /** 1-based, in the order of the text. */
  index: number;
  /** The statement as written (for messages). */
  text: string;
  /** Its 1-based line in the whole text. */
  line: number;
  /** The text sent to the database: `:name` replaced by the driver's placeholder. */
  sql: string;
  values: ParamValue[];
}

const SPLITTER: Record<Dialect, SplitterOptions> = {
  postgres: postgreSplitterOptions,
  mysql: mysqlSplitterOptions,
  sqlite: sqliteSplitterOptions,
};

const NAME_START = /[A-Za-z_]/;

/** Splits `text` into statements (empty ones and ones of comments only are dropped) and binds `params` in each. */
export function prepareStatements(text: string, dialect: Dialect, params: Record<string, ParamValue>): BoundStatement[] {
  const options: SplitterOptions = { ...SPLITTER[dialect], returnRichInfo: true };
  const statements: BoundStatement[] = [];
  for (const item of splitQuery(text, options)) {
    if (typeof item === "string") continue; // rich info was asked for: only markers of COPY FROM stdin come as strings
    const statement = item.text.trim();
    if (statement === "" || onlyComments(statement, dialect)) continue;
    // The line of its first line that is not a comment: where the statement reads as starting.
    const skipped = statement.split("\n").findIndex((each) => each.trim() !== "" && !each.trim().startsWith("--"));
    const line = (item.trimStart ?? item.start).line + 1 + Math.max(0, skipped);
    statements.push({ index: statements.length + 1, text: statement, line, ...bind(statement, dialect, params) });
  }
  return statements;
}

/**
 * `:name` → `$1` (PostgreSQL; one number per name) or `?` (MySQL, SQLite;
 * one value per occurrence). A name not in params is left as written (a
 * PostgreSQL array slice `a[1:n]` is not a parameter), and so is `::type`.
 */
export function bind(statement: string, dialect: Dialect, params: Record<string, ParamValue>): { sql: string; values: ParamValue[] } {
  const context = scanContext(statement, { ...SPLITTER[dialect], queryParameterStyle: ":" });
  const numbers = new Map<string, number>();
  const values: ParamValue[] = [];
  let sql = "";
  while (context.position < context.end) {
    const token = scanToken(context);
    if (token === null) break;
    const raw = statement.slice(context.position, context.position + token.length);
    const name = token.type === "parameter" ? raw.slice(1) : "";
    const isParam = name !== "" && NAME_START.test(name) && statement[context.position - 1] !== ":" && Object.hasOwn(params, name);
    if (!isParam) sql += raw;
    else if (dialect === "postgres") {
      if (!numbers.has(name)) {
        values.push(params[name]!);
        numbers.set(name, values.length);
      }
      sql += `$${numbers.get(name)}`;
    } else {
      values.push(params[name]!);
      sql += "?";
    }
    context.position += token.length;
  }
  return { sql, values };
}

function onlyComments(statement: string, dialect: Dialect): boolean {
  const context = scanContext(statement, SPLITTER[dialect]);
  while (context.position < context.end) {
    const token = scanToken(context);
    if (token === null) break;
    if (!["comment", "whitespace", "eoln"].includes(token.type)) return false;
    context.position += token.length;
  }
  return true;
}

/** The tokenizer's state at the start of one statement. */
function scanContext(source: string, options: SplitterOptions) {
  return { options, source, position: 0, currentDelimiter: ";", end: source.length, wasDataOnLine: false, isCopyFromStdin: false, isCopyFromStdinCandidate: false, beginEndIdentLevel: 0 };
}
