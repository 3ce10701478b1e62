/**
 * `sql:` tasks, run by the engine itself through the database's driver,
 * driven through the real `spire run -f` against the local PostgreSQL (a
 * schema of the test's own), MariaDB (a table of the test's own in the
 * database test) and SQLite files.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { POSTGRES_URL, adminPool, freshSchema } from "../helpers/postgres.js";

checkNoLeftoverProcesses();

const MARIADB_URL = process.env.SPIRE_TEST_MARIADB ?? "mysql://root@127.0.0.1:3306/test";

interface RunJson {
  state: string;
  tasks: { path: string; state: string; reason: string | null; outputs: Record<string, string> }[];
}

/** Runs a pipeline with `spire run -f` in a folder of its own (with `files` in it); its tasks by path. */
async function runAll(t: TestContext, yaml: string, args: string[] = [], files: Record<string, string> = {}) {
  const data = tempDir(t);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(data, name)), { recursive: true });
    writeFileSync(join(data, name), text);
  }
  const file = join(data, "spire.yaml");
  writeFileSync(file, yaml);
  const result = await spire(["run", "-f", file, "--json", ...args], { data });
  const tasks = Object.fromEntries((JSON.parse(result.stdout) as RunJson).tasks.map((task) => [task.path, task]));
  return { data, result, tasks, log: async (task: string) => (await spire(["logs", "last", task], { data })).stdout };
}

/** A value that would end the statement and drop the table, were it spliced into the SQL. */
const EVIL = "x'); DROP TABLE notes; --";

/** The task's YAML, with the query as a block. */
function sqlTask(url: string, query: string, more = ""): string {
  return `pipelines:\n  p:\n    args:\n      evil: { default: "" }\n      pw: { secret: true }\n    tasks:\n      db:\n${more}        sql:\n          url: "${url}"\n          params: { evil: "\${{ args.evil }}" }\n          query: |\n${query
    .split("\n")
    .map((line) => `            ${line}`)
    .join("\n")}\n`;
}

test("PostgreSQL: statements in one transaction, a parameter bound as data, a preview in the log, outputs, the password masked", async (t) => {
  const schema = await freshSchema(t);
  const url = new URL(POSTGRES_URL);
  // A password comes from outside the file (a URL that holds one is refused): here a secret argument. Trust authentication takes any.
  const withPassword = `${url.protocol}//${url.username}:\${{ args.pw }}@${url.host}${url.pathname}`;
  const query = [
    `CREATE SCHEMA ${schema};`,
    `CREATE TABLE ${schema}.notes (id serial PRIMARY KEY, body text);`,
    `INSERT INTO ${schema}.notes (body) VALUES (:evil), ('second');`,
    `SELECT body AS first_body, (SELECT count(*) FROM ${schema}.notes) AS n FROM ${schema}.notes ORDER BY id LIMIT 1`,
  ].join("\n");
  const { result, tasks, log } = await runAll(t, sqlTask(withPassword, query), ["--arg", `evil=${EVIL}`, "--arg", "pw=pw-never-shown-42"]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.deepEqual(tasks.db!.outputs, { first_body: EVIL, n: "2" });
  const rows = (await (await adminPool()).query(`SELECT body FROM ${schema}.notes ORDER BY id`)).rows;
  assert.deepEqual(rows.map((row) => row.body), [EVIL, "second"], "the value is stored as data: the table is there, with it");
  const text = await log("db");
  assert.match(text, /^connecting to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/test$/m);
  assert.match(text, /^4 statements from the query, in one transaction$/m);
  assert.match(text, /^\[3\/4\] line 3: INSERT INTO \S+ \(body\) VALUES \(:evil\), \('second'\)$/m);
  assert.match(text, /^2 rows affected in /m);
  assert.match(text, /^\| first_body +\| n \|$/m, "the result's preview");
  assert.match(text, /^\(1 row\)$/m);
  assert.doesNotMatch(text + result.stdout + result.stderr, /pw-never-shown-42/);
});

test("PostgreSQL: a failure rolls the transaction back; a timeout stops the statement on the server; a server that does not answer is said so", async (t) => {
  const schema = await freshSchema(t);
  const pool = await adminPool();
  await pool.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.notes (body text); INSERT INTO ${schema}.notes VALUES ('kept')`);
  const mark = `spire_sleep_${randomBytes(4).toString("hex")}`;
  const yaml = `pipelines:
  p:
    tasks:
      broken:
        allow_failure: true
        sql: { url: "${POSTGRES_URL}", query: "INSERT INTO ${schema}.notes VALUES ('gone');\\nSELECT 1 / 0" }
      slow:
        needs: [broken]
        allow_failure: true
        timeout: 500ms
        sql: { url: "${POSTGRES_URL}", query: "SELECT pg_sleep(30) AS ${mark}" }
      refused:
        needs: [slow]
        sql: { url: "postgres://postgres@127.0.0.1:1/test", query: SELECT 1 }
`;
  const began = Date.now();
  const { tasks, log } = await runAll(t, yaml);
  assert.equal(tasks.broken!.state, "failed");
  assert.equal(tasks.broken!.reason, "statement 2 of 2 (line 2: SELECT 1 / 0) failed: division by zero (22012)");
  assert.deepEqual((await pool.query(`SELECT body FROM ${schema}.notes`)).rows, [{ body: "kept" }], "the table is as it was");
  assert.match(await log("broken"), /^the transaction was rolled back: nothing of it was kept$/m);

  assert.equal(tasks.slow!.state, "timed_out");
  assert.equal(tasks.slow!.reason, "timed out after 500ms");
  assert.ok(Date.now() - began < 15_000);
  const running = async () => (await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()", [`%${mark}%`])).rows[0].n as number;
  await until(async () => (await running()) === 0, "the server to end the canceled statement", 5_000);

  assert.equal(tasks.refused!.state, "failed");
  assert.match(tasks.refused!.reason!, /^could not connect to postgres:\/\/postgres@127\.0\.0\.1:1\/test: nothing listens there: is the server running, and are the host and port right\? \(/);
});

test("MariaDB: one transaction, bound parameters, outputs; a failure rolls back; a timeout kills the query", async (t) => {
  const table = `spire_sql_${randomBytes(4).toString("hex")}`;
  const admin = await mysql.createConnection(MARIADB_URL);
  t.after(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });
  // DDL commits by itself in MySQL: the table is made before, the transaction holds the rows.
  await admin.query(`CREATE TABLE ${table} (id int AUTO_INCREMENT PRIMARY KEY, body text)`);
  const mark = `spire_sleep_${randomBytes(4).toString("hex")}`;
  const yaml = `pipelines:
  p:
    args:
      evil: { default: "" }
    tasks:
      add:
        sql:
          url: "${MARIADB_URL}"
          params: { evil: "\${{ args.evil }}" }
          query: |
            INSERT INTO ${table} (body) VALUES (:evil), ('b');
            SELECT body, (SELECT count(*) FROM ${table}) AS n FROM ${table} ORDER BY id LIMIT 1
      broken:
        needs: [add]
        allow_failure: true
        sql: { url: "${MARIADB_URL}", query: "INSERT INTO ${table} (body) VALUES ('c');\\nINSERT INTO ${table}_missing VALUES (1)" }
      slow:
        needs: [broken]
        allow_failure: true
        timeout: 500ms
        sql: { url: "${MARIADB_URL}", query: "SELECT SLEEP(30) AS ${mark}" }
      denied:
        needs: [slow]
        env: { MYSQL_PWD: "not-the-password" }
        sql: { url: "${MARIADB_URL}", query: SELECT 1 }
`;
  const began = Date.now();
  const { tasks, log, result } = await runAll(t, yaml, ["--arg", `evil=${EVIL}`]);
  assert.ok(Date.now() - began < 20_000, "the 30 s sleep was stopped, and the run did not wait for it");
  assert.equal(tasks.add!.state, "succeeded", result.stderr + result.stdout);
  assert.deepEqual(tasks.add!.outputs, { body: EVIL, n: "2" });
  assert.match(await log("add"), /^\| body +\| n \|$/m);

  assert.equal(tasks.broken!.state, "failed");
  assert.match(tasks.broken!.reason!, new RegExp(`^statement 2 of 2 \\(line 2: INSERT INTO ${table}_missing VALUES \\(1\\)\\) failed: Table 'test\\.${table}_missing' doesn't exist`));
  const [rows] = await admin.query(`SELECT count(*) AS n FROM ${table}`);
  assert.equal(Number((rows as { n: number }[])[0]!.n), 2, "the first insert of the failed task was rolled back");

  assert.equal(tasks.slow!.state, "timed_out");
  const sleeping = async () => {
    const [list] = await admin.query("SELECT count(*) AS n FROM information_schema.processlist WHERE info LIKE ? AND id <> CONNECTION_ID()", [`%${mark}%`]);
    return Number((list as { n: number }[])[0]!.n);
  };
  await until(async () => (await sleeping()) === 0, "the server to end the killed query", 5_000);

  assert.equal(tasks.denied!.state, "failed", "the password came from the task's MYSQL_PWD");
  assert.match(tasks.denied!.reason!, /^could not connect to mysql:\/\/root@127\.0\.0\.1:3306\/test: the user or password was refused: check them/);
  assert.doesNotMatch(JSON.stringify(tasks), /not-the-password/);
});

test("SQLite: a file of statements, relative paths, a rollback, transaction: false, and a long query stopped by its timeout", async (t) => {
  const setup = "CREATE TABLE notes (body text);\nCREATE TRIGGER count_notes AFTER INSERT ON notes BEGIN UPDATE counter SET n = n + 1; END;\nCREATE TABLE counter (n int);\nINSERT INTO counter VALUES (0);\n";
  const yaml = `pipelines:
  p:
    args:
      evil: { default: "" }
    tasks:
      setup: { sql: { url: "sqlite:db/app.db", file: sql/setup.sql } }
      add:
        needs: [setup]
        sql:
          url: "sqlite:db/app.db"
          params: { evil: "\${{ args.evil }}" }
          query: "INSERT INTO notes VALUES (:evil); SELECT n FROM counter"
      broken:
        needs: [add]
        allow_failure: true
        sql: { url: "sqlite:db/app.db", query: "INSERT INTO notes VALUES ('gone'); INSERT INTO nowhere VALUES (1)" }
      loose:
        needs: [broken]
        allow_failure: true
        sql: { url: "sqlite:db/app.db", transaction: false, query: "INSERT INTO notes VALUES ('kept'); INSERT INTO nowhere VALUES (1)" }
      count:
        needs: [loose]
        sql: { url: "sqlite:db/app.db", query: "SELECT count(*) AS notes, max(body) AS body, :seen AS seen FROM notes", params: { seen: "\${{ tasks.add.outputs.n }}" } }
      slow:
        needs: [count]
        timeout: 300ms
        sql: { url: "sqlite:db/app.db", query: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" }
`;
  const began = Date.now();
  const { tasks, result } = await runAll(t, yaml, ["--arg", `evil=${EVIL}`], { "sql/setup.sql": setup, "db/.keep": "" });
  assert.equal(tasks.setup!.state, "succeeded", result.stdout);
  assert.deepEqual(tasks.add!.outputs, { n: "1", value: "1" }, "the trigger's body, with its ';', was one statement");
  assert.equal(tasks.broken!.state, "failed");
  assert.match(tasks.broken!.reason!, /^statement 2 of 2 \(line 1: INSERT INTO nowhere VALUES \(1\)\) failed: no such table: nowhere/);
  assert.equal(tasks.loose!.state, "failed");
  assert.deepEqual(tasks.count!.outputs, { notes: "2", body: EVIL, seen: "1" }, "broken's insert was rolled back, loose's (transaction: false) kept; an output of an earlier task is a parameter");
  assert.equal(tasks.slow!.state, "timed_out");
  assert.ok(Date.now() - began < 20_000);
});

test("a mistake in an sql task is a validation error at its place in the file", async (t) => {
  const data = tempDir(t);
  const file = join(data, "spire.yaml");
  writeFileSync(
    file,
    `pipelines:
  p:
    tasks:
      both:
        sql:
          url: sqlite:x.db
          query: SELECT 1
          file: x.sql
      scheme:
        sql: { url: "oracle://db/app", query: SELECT 1 }
      nourl:
        sql: { query: SELECT 1 }
      spliced:
        sql: { url: "sqlite:x.db", query: "SELECT '\${{ run.id }}'" }
      password:
        sql: { url: "postgres://app:hunter22@db/app", query: SELECT 1 }
`,
  );
  const result = await spire(["validate", "-f", file], { data });
  assert.equal(result.code, 2);
  const out = result.stdout + result.stderr;
  assert.match(out, /spire\.yaml:5:9 +pipelines\.p\.tasks\.both\.sql: sql takes query or file, not both/);
  assert.match(out, /spire\.yaml:8:17 +pipelines\.p\.tasks\.both\.sql\.file: "x\.sql" does not exist/);
  assert.match(out, /spire\.yaml:10:21 +pipelines\.p\.tasks\.scheme\.sql\.url: an sql URL starts with postgres:\/\//);
  assert.match(out, /spire\.yaml:12:\d+ +pipelines\.p\.tasks\.nourl\.sql\.url: required, but missing/);
  assert.match(out, /spire\.yaml:14:\d+ +pipelines\.p\.tasks\.spliced\.sql\.query: a template .* cannot be used in sql\.query: values never become SQL — bind it as a parameter/);
  assert.match(out, /spire\.yaml:16:\d+ +pipelines\.p\.tasks\.password\.sql\.url: the URL holds a password: it would be kept with the pipeline's definition, in the store .* — leave it out of the URL and give it as PGPASSWORD/);
  assert.doesNotMatch(out, /warning: pipelines\.p\.tasks\.password/);
});
