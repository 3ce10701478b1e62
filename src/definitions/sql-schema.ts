/**
 * The `sql:` payload: statements run by the engine (or a worker) through
 * the database's driver. Which database is said by the URL's scheme; the
 * statements come from `query` or a `file`, exactly one.
 */
import { z } from "zod";
import { about } from "./schema-about.js";
import { SQL_SCHEME_LIST, dialectOf } from "../exec/sql/target.js";

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const sqlSchema = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .meta(
        about(
          "The database: postgres://user@host:5432/db (or postgresql://), mysql://user@host:3306/db (or mariadb://), or sqlite:PATH (relative to the definitions file's folder). No password in it: give PGPASSWORD or MYSQL_PWD through env_file or secrets (a password written here would be kept with the definition, which every API client that reads pipelines sees). Templates allowed.",
          ["postgres://backup@127.0.0.1:5432/app", "sqlite:data/app.db"],
        ),
      ),
    query: z.string().min(1).optional().meta(about("One or more statements, separated by ';'. No templates: use params and :name.", ["DELETE FROM sessions WHERE expires < now() - :keep::interval; VACUUM sessions"])),
    file: z.string().min(1).optional().meta(about("A .sql file of statements, relative to the definitions file's folder (instead of query).", ["sql/nightly.sql"])),
    params: z
      .record(
        z.string().regex(PARAM_NAME, { message: "a parameter name: letters, digits and '_', not starting with a digit" }),
        z.union([z.string(), z.number(), z.boolean(), z.null()]),
      )
      .default({})
      .meta(about("Values bound where :name stands in the statements (never spliced into the SQL text); values may hold templates such as ${{ args.days }}.", [{ keep: "30 days", site: "${{ args.site }}" }])),
    transaction: z.boolean().default(true).meta(about("Run several statements in one transaction (a failure rolls them all back); false commits each on its own.", [false], { default: true })),
  })
  .superRefine((sql, ctx) => {
    if ((sql.query === undefined) === (sql.file === undefined)) {
      ctx.addIssue({ code: "custom", message: sql.query === undefined ? "sql needs the statements: query (a text) or file (a .sql file)" : "sql takes query or file, not both" });
    }
    // A template that starts the URL gives all of it: its scheme is known only when the task runs.
    if (!sql.url.startsWith("${{") && dialectOf(sql.url) === undefined) {
      ctx.addIssue({ code: "custom", path: ["url"], message: `an sql URL starts with ${SQL_SCHEME_LIST}` });
    }
  });
