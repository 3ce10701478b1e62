/** Words about one statement of an `sql:` task, without the splitter (statements.ts is loaded only when a task runs). */

/** The first line of a statement that is not a comment, for messages. */
export function firstLine(statement: string): string {
  const line = statement.split("\n").map((each) => each.trim()).find((each) => each !== "" && !each.startsWith("--")) ?? statement.split("\n")[0] ?? "";
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** Whether the statement changes rows (its count of affected rows means something). */
export function changesRows(statement: string): boolean {
  return /^(WITH|INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT|COPY)\b/i.test(firstLine(statement));
}
