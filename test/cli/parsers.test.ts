/**
 * `parser:` (Gator's tool-based log parsers) through the real `spire run` and
 * `spire show --json`: each task prints what the tool prints, word for word,
 * and the run counts its warnings and errors the tool's way and keeps their
 * texts. An unknown parser is an error that lists the known ones; a Gator
 * file that names a parser loads and runs with it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";

checkNoLeftoverProcesses();

const GCC = `main.c: In function 'main':
main.c:4:7: warning: unused variable 'x' [-Wunused-variable]
    4 |   int x;
      |       ^
main.c:5:3: error: implicit declaration of function 'foo' [-Wimplicit-function-declaration]
main.c:2:1: note: declared here
util.c:9:12: warning: comparison of integer expressions of different signedness [-Wsign-compare]
`;

const PYTEST = `============================= test session starts ==============================
collected 5 items

test_app.py .F.F.                                                        [100%]

=================================== FAILURES ===================================
________________________________ test_divide ___________________________________
E       ZeroDivisionError: division by zero
=============================== warnings summary ===============================
test_app.py::test_old
  /work/test_app.py:12: DeprecationWarning: old() is deprecated
    old()

-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html
=========================== short test summary info ============================
FAILED test_app.py::test_divide - ZeroDivisionError: division by zero
FAILED test_app.py::test_parse - ValueError: bad input
=================== 2 failed, 3 passed, 3 warnings in 0.12s ====================
`;

const ESLINT = `
/work/src/app.js
   3:7   error    'unused' is assigned a value but never used  no-unused-vars
  10:1   warning  Unexpected console statement                  no-console

/work/src/util.js
  1:1  error  Parsing error: Unexpected token

✖ 3 problems (2 errors, 1 warning)
  1 error and 0 warnings potentially fixable with the \`--fix\` option.
`;

const TAP = `TAP version 14
1..4
ok 1 - adds
not ok 2 - subtracts
  ---
  message: 'expected 1, got 2'
  ...
not ok 3 - multiplies # TODO not written yet
not ok 4 - divides
# tests 4
# pass 1
# fail 2
`;

interface ShownTask {
  name: string;
  warnings: number;
  errors: number;
  messages: { level: string; text: string }[];
}

test("gcc, pytest, eslint and tap output counted the tool's way, texts kept, shown by spire show --json", async (t) => {
  const dir = tempDir(t);
  for (const [name, text] of Object.entries({ gcc: GCC, pytest: PYTEST, eslint: ESLINT, tap: TAP })) writeFileSync(join(dir, `${name}.txt`), text);
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `pipelines:
  check:
    tasks:
      gcc: { run: "cat gcc.txt >&2", parser: gcc }
      pytest: { run: "cat pytest.txt", parser: pytest }
      eslint: { run: "cat eslint.txt", parser: eslint }
      tap: { run: "cat tap.txt; echo '::warning::said by a marker'", parser: tap }
      plain: { run: "cat gcc.txt" }
`,
  );
  const data = join(dir, "data");
  const ran = await spire(["run", "-f", file, "--json"], { data, cwd: dir });
  assert.equal(ran.code, 0, ran.stderr);
  const shown = await spire(["show", "last", "--json"], { data });
  assert.equal(shown.code, 0, shown.stderr);
  const tasks = new Map((JSON.parse(shown.stdout) as { tasks: ShownTask[] }).tasks.map((task) => [task.name, task]));
  const texts = (name: string, level: string) => tasks.get(name)!.messages.filter((message) => message.level === level).map((message) => message.text);

  assert.deepEqual([tasks.get("gcc")!.warnings, tasks.get("gcc")!.errors], [2, 1]);
  assert.deepEqual(texts("gcc", "error"), ["main.c:5:3: error: implicit declaration of function 'foo' [-Wimplicit-function-declaration]"]);
  assert.equal(texts("gcc", "warning")[1], "util.c:9:12: warning: comparison of integer expressions of different signedness [-Wsign-compare]");

  // pytest: the totals from its last line; FAILED lines and the warnings summary's lines are the texts.
  assert.deepEqual([tasks.get("pytest")!.warnings, tasks.get("pytest")!.errors], [3, 2]);
  assert.deepEqual(texts("pytest", "error"), ["FAILED test_app.py::test_divide - ZeroDivisionError: division by zero", "FAILED test_app.py::test_parse - ValueError: bad input"]);
  assert.deepEqual(texts("pytest", "warning"), ["/work/test_app.py:12: DeprecationWarning: old() is deprecated"]);

  assert.deepEqual([tasks.get("eslint")!.warnings, tasks.get("eslint")!.errors], [1, 2]);
  assert.deepEqual(texts("eslint", "error"), ["/work/src/app.js:3:7 error 'unused' is assigned a value but never used  no-unused-vars", "/work/src/util.js:1:1 error Parsing error: Unexpected token"]);
  assert.deepEqual(texts("eslint", "warning"), ["/work/src/app.js:10:1 warning Unexpected console statement  no-console"]);

  // tap: # TODO is not a failure; the marker's warning counts beside the parser's.
  assert.deepEqual([tasks.get("tap")!.warnings, tasks.get("tap")!.errors], [1, 2]);
  assert.deepEqual(texts("tap", "error"), ["not ok 2 - subtracts", "not ok 4 - divides"]);

  assert.deepEqual([tasks.get("plain")!.warnings, tasks.get("plain")!.errors, tasks.get("plain")!.messages.length], [0, 0, 0], "without parser: nothing counted");
  const run = JSON.parse(shown.stdout) as { warnings: number; errors: number };
  assert.deepEqual([run.warnings, run.errors], [2 + 3 + 1 + 1, 1 + 2 + 2 + 2], "the counts roll up to the run");
});

test("an unknown parser is a validation error at its place that lists the known ones; a Gator job's parser is read", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "spire.yaml");
  writeFileSync(file, "pipelines:\n  check:\n    tasks:\n      lint:\n        run: eslint .\n        parser: pylint\n");
  const refused = await spire(["validate", "-f", file], { data: dir });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /spire\.yaml:6:17 +pipelines\.check\.tasks\.lint\.parser: .*one of: gcc, clang, pytest, eslint, tap/);

  writeFileSync(join(dir, "gcc.txt"), GCC);
  const gator = join(dir, "job.yaml");
  writeFileSync(gator, "!Job\n  ident: build\n  command: cat\n  args: [gcc.txt]\n  parser: gcc\n");
  const ran = await spire(["run", "-f", gator, "--json"], { data: join(dir, "data"), cwd: dir });
  assert.equal(ran.code, 0, ran.stderr);
  const run = JSON.parse(ran.stdout) as { tasks: ShownTask[] };
  assert.deepEqual([run.tasks[0]!.warnings, run.tasks[0]!.errors], [2, 1]);
  const badGator = join(dir, "bad-job.yaml");
  writeFileSync(badGator, "!Job\n  ident: build\n  command: cat\n  parser: gnu\n");
  const bad = await spire(["validate", "-f", badGator], { data: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad-job\.yaml:4:11 .*one of: gcc, clang, pytest, eslint, tap/);
});
