/**
 * prunner's script lines as one bash script: run by real bash, they stop
 * where prunner stops (at the first line whose status is not 0, which
 * `set -e` would not do for `false && true`), and a `{{ .name }}` template
 * reads its value from the environment, quoted for where it stands, so no
 * value is ever read as shell code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { rewriteTemplates, scriptToRun } from "../../src/definitions/compat/prunner-script.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

function bash(script: string, env: Record<string, string> = {}, cwd?: string): { status: number | null; stdout: string } {
  const result = spawnSync("bash", ["-c", script], { env: { ...process.env, ...env }, encoding: "utf8", ...(cwd ? { cwd } : {}) });
  return { status: result.status, stdout: result.stdout };
}

const rendered = (line: string) => {
  const result = rewriteTemplates(line, (name) => `SPIRE_ARG_${name.toUpperCase()}`);
  assert.deepEqual(result.problems, []);
  return result.text;
};

test("the script stops at the first failing line, with that line's exit code", () => {
  const run = scriptToRun(["echo one", "false && true", "echo two"], false);
  assert.deepEqual(bash(run), { status: 1, stdout: "one\n" });
  const exitCode = scriptToRun(["echo one", "sh -c 'exit 7' # a comment", "echo two"], false);
  assert.deepEqual(bash(exitCode), { status: 7, stdout: "one\n" });
  assert.deepEqual(bash(scriptToRun(["true; false", "echo never"], false)), { status: 1, stdout: "" });
  assert.deepEqual(bash(scriptToRun(["false; true", "echo reached"], false)), { status: 0, stdout: "reached\n" }, "a line's status is its last command's");
  assert.deepEqual(bash(scriptToRun(["echo piped | cat", "echo last"], false)), { status: 0, stdout: "piped\nlast\n" });
});

test("the last line's status is the task's; every line runs under allow_failure", () => {
  assert.deepEqual(bash(scriptToRun(["echo one", "exit 3"], false)), { status: 3, stdout: "one\n" });
  assert.deepEqual(bash(scriptToRun(["false", "echo still"], true)), { status: 0, stdout: "still\n" });
  assert.equal(scriptToRun([], false), ":");
  assert.deepEqual(bash(scriptToRun(["# only a comment", "echo after"], false)), { status: 0, stdout: "after\n" });
});

test("a template becomes the variable, quoted for its place, and a value stays a value", (t) => {
  const dir = tempDir(t);
  const marker = join(dir, "created");
  const value = `$(touch ${marker}) \`touch ${marker}\` "; touch ${marker}; echo ' it's`;
  const lines = [
    "echo {{ .name }}",
    'echo "in double: {{.name}}"',
    "echo 'in single: {{ .name }}'",
    'echo "$(echo nested {{ .name }})"',
    "echo `echo backquoted {{.name}}`",
    "echo prefix-{{- .name -}}-suffix",
  ];
  const script = scriptToRun(lines.map(rendered), false);
  const result = bash(script, { SPIRE_ARG_NAME: value }, dir);
  assert.equal(result.status, 0);
  assert.equal(existsSync(marker), false, "the value was not run");
  assert.deepEqual(result.stdout.trimEnd().split("\n"), [
    value,
    `in double: ${value}`,
    `in single: ${value}`,
    `nested ${value}`,
    `backquoted ${value}`,
    `prefix-${value}-suffix`,
  ]);
});

test("only {{ .NAME }} is read; anything else is named as a problem", () => {
  const result = rewriteTemplates("echo {{ .a }} {{ index . \"b\" }} {{ .c", (name) => name);
  assert.deepEqual(result.uses.map((use) => use.variable), ["a"]);
  assert.deepEqual(result.problems.map((problem) => problem.text), ['{{ index . "b" }}', "{{"]);
});

test("where something would parse the value again, the template is a problem; where only the script's shell reads it, it is not", () => {
  const problems = (line: string) => rewriteTemplates(line, (name) => `SPIRE_ARG_${name.toUpperCase()}`).problems.map((problem) => problem.message);
  const refused: [string, RegExp][] = [
    ['sh -c "echo {{ .name }}"', /sh runs it as code/],
    ["sh -c 'echo {{ .name }}'", /sh runs it as code/],
    ['env FOO=1 nice bash -lc "echo {{ .name }}"', /bash runs it as code/],
    ['sh -c "$(echo {{ .name }})"', /sh runs it as code/],
    ['eval "echo {{ .name }}"', /eval runs it as code/],
    ["source <(echo {{ .name }})", /source runs the file it names/],
    ['ssh host ls {{ .name }}', /remote shell/],
    ['node -e "console.log(1)" {{ .name }}', /where node reads its options/],
    ["git clone {{ .name }}", /where git reads its options/],
    ["echo {{ .name }} | grep x | bash -s", /bash reads its commands from its input/],
    ["{ echo {{ .name }}; } | bash", /bash reads its commands/],
    ["(echo {{ .name }}) | sh", /sh reads its commands/],
    ["for x in a; do echo {{ .name }}; done | sh", /sh reads its commands/],
    ['bash <<< "echo {{ .name }}"', /bash reads its commands/],
    ["cat <<EOF | sh\necho {{ .name }}\nEOF", /sh reads its commands/],
    ["(( x = {{ .name }} ))", /arithmetic/],
    ["declare -i x={{ .name }}", /arithmetic/],
    ["echo ${arr[{{ .name }}]}", /inside \$\{ }/],
    ["export PATH={{ .name }}:$PATH", /it sets PATH/],
    ['$SHELL -c "{{ .name }}"', /the program is named by a variable/],
    ["echo $'{{ .name }}'", /inside \$'…' no variable is read/],
  ];
  for (const [line, reason] of refused) {
    const found = problems(line);
    assert.equal(found.length, 1, `${line}: ${found.join("; ")}`);
    assert.match(found[0]!, reason, line);
  }
  const fine = [
    "echo {{ .name }} > out.txt",
    "sh -c 'echo \"$1\"' sh {{ .name }}",
    "sh -c 'echo \"$SPIRE_ARG_NAME\"'",
    "echo {{ .name }} | xargs echo",
    "echo {{ .name }} | grep x",
    "[ {{ .name }} -eq 1 ]",
    "[[ {{ .name }} == a* ]] && echo yes",
    "case {{ .name }} in a) echo A;; *) echo {{ .name }};; esac",
    "f() { echo {{ .name }}; }; f",
    "cat <<EOF\nhello {{ .name }}\nEOF",
    "X={{ .name }} ./run.sh",
    "node -e 'console.log(process.argv[1])' -- {{ .name }}",
    "echo hi # {{ .name }}",
  ];
  for (const line of fine) assert.deepEqual(problems(line), [], line);
});

test("two equal templates on a line: the refused one is named by its place among them", () => {
  const result = rewriteTemplates('echo {{ .name }} && sh -c "echo {{ .name }}"', (name) => name);
  assert.deepEqual(result.problems.map((problem) => [problem.text, problem.occurrence]), [["{{ .name }}", 1]]);
});
