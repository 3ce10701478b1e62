/**
 * From an `sql:` task (templates rendered) to what the executor runs: the
 * statements' text (a file is read here, on the engine's machine, so that a
 * worker needs no copy of it), the SQLite file's full path, and the URL's
 * password among the secrets so that it is masked wherever it could show.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { SqlSpec } from "../../exec/port.js";
import { hidePassword, parseTarget } from "../../exec/sql/target.js";
import type { TaskDef } from "../../definitions/schema.js";

export type SqlBuild = { ok: true; spec: SqlSpec; argv: string[]; secrets: string[] } | { ok: false; reason: string };

/**
 * `definitionsDir`: where `file:` is read (the engine's machine);
 * `runDir`: where a relative SQLite path points (a worker's work folder, on a worker).
 */
export function buildSqlSpec(sql: NonNullable<TaskDef["sql"]>, definitionsDir: string, runDir: string): SqlBuild {
  const target = parseTarget(sql.url);
  if ("error" in target) return { ok: false, reason: `${target.error}: the task was not run` };
  let text = sql.query ?? "";
  let source = "the query";
  if (sql.file !== undefined) {
    const path = resolve(definitionsDir, sql.file);
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      return { ok: false, reason: `sql.file ${JSON.stringify(sql.file)} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}, looked for ${path}): the task was not run` };
    }
    source = sql.file;
  }
  let url = sql.url;
  const path = target.sqlitePath;
  if (path !== undefined && path !== ":memory:" && !isAbsolute(path)) url = `sqlite:${resolve(runDir, path)}`;
  return {
    ok: true,
    spec: { url, text, source, params: sql.params as SqlSpec["params"], transaction: sql.transaction },
    argv: ["sql", hidePassword(url)],
    secrets: target.password === undefined ? [] : [target.password],
  };
}
