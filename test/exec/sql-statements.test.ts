/** The pure parts of `sql:` tasks: statements split and bound, results shown, URLs read. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bind, prepareStatements } from "../../src/exec/sql/statements.js";
import { previewLines, resultOutputs } from "../../src/exec/sql/preview.js";
import { hidePassword, parseTarget } from "../../src/exec/sql/target.js";

test("statements split at ';' outside quotes, dollar-quoting and comments; empty and comment-only ones are dropped", () => {
  const text = [
    "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;",
    "-- a comment; with a semicolon",
    "SELECT 'a;b', \"odd;name\" /* ; */ FROM t;",
    "SELECT $$x;y$$;",
    ";",
    "-- the end",
  ].join("\n");
  const statements = prepareStatements(text, "postgres", {});
  assert.deepEqual(statements.map((each) => each.sql), [
    "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
    "-- a comment; with a semicolon\nSELECT 'a;b', \"odd;name\" /* ; */ FROM t",
    "SELECT $$x;y$$",
  ]);
  assert.deepEqual(statements.map((each) => each.line), [1, 3, 4], "a statement's line is its first line that is not a comment");
});

test("MySQL's backslash escapes and DELIMITER, and SQLite's trigger bodies, do not split a statement", () => {
  const mysql = prepareStatements("SELECT 'it\\'s; fine';\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\nDELIMITER ;\nSELECT 3", "mysql", {});
  assert.deepEqual(mysql.map((each) => each.sql), ["SELECT 'it\\'s; fine'", "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "SELECT 3"]);
  const sqlite = prepareStatements("CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; DELETE FROM c; END;\nSELECT 1", "sqlite", {});
  assert.equal(sqlite.length, 2);
  assert.match(sqlite[0]!.sql, /DELETE FROM c; END$/);
});

test(":name becomes the driver's placeholder; strings, comments, casts and names not in params stay as written", () => {
  const params = { who: "x'); DROP TABLE t; --", n: 3, int: "no" };
  const sql = "SELECT :who, :n::int, ':who', \"a:who\", :who, a[1:n2] -- :who\n/* :n */";
  assert.deepEqual(bind(sql, "postgres", params), {
    sql: "SELECT $1, $2::int, ':who', \"a:who\", $1, a[1:n2] -- :who\n/* :n */",
    values: ["x'); DROP TABLE t; --", 3],
  });
  assert.deepEqual(bind("SELECT :who, :n, :who", "mysql", params), { sql: "SELECT ?, ?, ?", values: [params.who, 3, params.who] });
  assert.deepEqual(bind("SELECT :n, @x := 1, `:n`", "mysql", params), { sql: "SELECT ?, @x := 1, `:n`", values: [3] });
  assert.deepEqual(bind("SELECT $tag$ :n $tag$, :n", "postgres", params), { sql: "SELECT $tag$ :n $tag$, $1", values: [3] });
});

test("a result shows as a small table: the first 20 rows, long values cut, and how many there were", () => {
  const rows = Array.from({ length: 21 }, (_, index) => [index, index === 0 ? "y".repeat(100) : null]);
  const lines = previewLines({ columns: ["id", "text"], rows, rowCount: 500 });
  assert.equal(lines[0], `| id | text${" ".repeat(56)} |`);
  assert.match(lines[1]!, /^\|-+-\+-+-\|$/);
  assert.equal(lines.length, 2 + 20 + 1);
  assert.equal(lines[2], `| 0  | ${"y".repeat(59)}… |`);
  assert.match(lines[3]!, /^\| 1  \| NULL +\|$/);
  assert.equal(lines.at(-1), "(500 rows, the first 20 shown)");
  assert.deepEqual(previewLines({ columns: ["n"], rows: [[1]], rowCount: 1 }), ["| n |", "|---|", "| 1 |", "(1 row)"]);
});

test("the last statement's single row gives outputs: its columns, and value when it has one; a value too large for an output is named, not kept", () => {
  const outputsOf = (result: Parameters<typeof resultOutputs>[0]) => resultOutputs(result).outputs;
  assert.deepEqual(outputsOf({ columns: ["count"], rows: [[42]], rowCount: 1 }), { count: "42", value: "42" });
  assert.deepEqual(outputsOf({ columns: ["a", "b c", "d"], rows: [["x", 1, null]], rowCount: 1 }), { a: "x", d: "" }, "a column whose name is no output name is left out");
  assert.deepEqual(outputsOf({ columns: ["a"], rows: [[1], [2]], rowCount: 2 }), {}, "several rows give none");
  assert.deepEqual(outputsOf({ affected: 3 }), {});
  assert.deepEqual(outputsOf({ columns: ["at"], rows: [[new Date("2026-01-02T03:04:05Z")]], rowCount: 1 }).at, "2026-01-02T03:04:05.000Z");
  assert.deepEqual(outputsOf({ columns: ["bytes", "big"], rows: [[new Uint8Array([0xca, 0xfe]), 2n ** 63n - 1n]], rowCount: 1 }), { bytes: "\\xcafe", big: "9223372036854775807" });
  const large = resultOutputs({ columns: ["blob"], rows: [["x".repeat(1024 * 1024 + 1)]], rowCount: 1 });
  assert.deepEqual(large.outputs, {});
  assert.deepEqual(large.problems, [
    "output blob not kept: its value has 1048577 bytes, and a task's outputs may have 1048576 in all",
    "output value not kept: its value has 1048577 bytes, and a task's outputs may have 1048576 in all",
  ]);
  // The limit is for all of them: two halves fit, a third column does not; bytes are measured before they are made hex.
  const half = "x".repeat(512 * 1024);
  const many = resultOutputs({ columns: ["a", "b", "c"], rows: [[half, half, "y"]], rowCount: 1 });
  assert.deepEqual(Object.keys(many.outputs), ["a", "b"]);
  assert.deepEqual(many.problems, ["output c not kept: its value has 1 bytes, and a task's outputs may have 1048576 in all"]);
  assert.deepEqual(resultOutputs({ columns: ["raw"], rows: [[new Uint8Array(600 * 1024)]], rowCount: 1 }).outputs, {});
});

test("the URL's scheme names the database; its password is hidden and kept apart", () => {
  assert.deepEqual(parseTarget("postgres://app:p%40ss@db:5432/app"), { dialect: "postgres", display: "postgres://app:***@db:5432/app", password: "p@ss" });
  assert.deepEqual(parseTarget("mariadb://root@127.0.0.1/test"), { dialect: "mysql", display: "mariadb://root@127.0.0.1/test" });
  assert.deepEqual(parseTarget("sqlite:data/app.db"), { dialect: "sqlite", display: "sqlite:data/app.db", sqlitePath: "data/app.db" });
  assert.deepEqual(parseTarget("sqlite:///srv/app.db"), { dialect: "sqlite", display: "sqlite:///srv/app.db", sqlitePath: "/srv/app.db" });
  assert.match((parseTarget("oracle://x") as { error: string }).error, /does not start with postgres:\/\//);
  assert.equal(hidePassword("postgres://u:s3cr/et@h/db?x=1"), "postgres://u:***@h/db?x=1");
  assert.equal(hidePassword("postgres://h:5432/db"), "postgres://h:5432/db");
});
