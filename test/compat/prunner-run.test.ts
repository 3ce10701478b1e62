/**
 * prunner pipelines.yml files run with `spire run -f`, unchanged, the way
 * prunner runs them: fail-fast (or not), on_error with the failed task's
 * details, job variables that stay values, .env files beside the file;
 * converted with `spire convert`, they run the same.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { FIXTURES } from "../definitions/fixtures.js";

checkNoLeftoverProcesses();

const EXAMPLE = join(FIXTURES, "compat", "prunner", "examples_pipelines.yml");

interface TaskView {
  path: string;
  state: string;
  exit_code: number | null;
  reason: string | null;
  duration_ms: number | null;
}

async function runJson(args: string[], data: string): Promise<{ code: number | null; run: { state: string; duration_ms: number; tasks: TaskView[] } }> {
  const result = await spire(["run", ...args, "--json"], { data });
  assert.ok(result.stdout.trim().startsWith("{"), result.stdout + result.stderr);
  return { code: result.code, run: JSON.parse(result.stdout) };
}

function task(run: { tasks: TaskView[] }, path: string): TaskView {
  const found = run.tasks.find((candidate) => candidate.path === path);
  assert.ok(found, `no task ${path} in ${run.tasks.map((candidate) => candidate.path).join(", ")}`);
  return found;
}

async function logOf(data: string, path: string): Promise<string> {
  const result = await spire(["logs", "last", path], { data });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

function pipelinesFile(dir: string, body: string): string {
  const file = join(dir, "pipelines.yml");
  writeFileSync(file, body);
  return file;
}

test("prunner's example: test_it passes; fail_it fails and its on_error names the failed task", async (t) => {
  const data = tempDir(t);
  const passed = await runJson(["-f", EXAMPLE, "test_it"], data);
  assert.equal(passed.code, 0);
  assert.equal(await logOf(data, "lint"), "Foo\n");

  const failed = await runJson(["-f", EXAMPLE, "fail_it"], data);
  assert.equal(failed.code, 1);
  assert.equal(task(failed.run, "no-work").exit_code, 127, "`go` is not installed here");
  assert.equal(task(failed.run, "on_error").state, "succeeded");
  assert.equal(await logOf(data, "on_error"), "Something went wrong, let's handle the error from no-work\n");
});

test("fail-fast (prunner's default): the first failed task cancels a running sibling", async (t) => {
  const dir = tempDir(t);
  const file = pipelinesFile(dir, ["pipelines:", "  p:", "    tasks:", "      err:", "        script: ['sleep 0.3', 'exit 1']", "      slow:", "        script: ['sleep 30', 'echo done']", ""].join("\n"));
  const { code, run } = await runJson(["-f", file], dir);
  assert.equal(code, 1);
  assert.deepEqual([task(run, "err").state, task(run, "err").exit_code], ["failed", 1]);
  assert.equal(task(run, "slow").state, "canceled");
  assert.ok(run.duration_ms < 20_000, `canceled, not waited for (${run.duration_ms} ms)`);
});

test("continue_running_tasks_after_failure lets the running sibling finish", async (t) => {
  const dir = tempDir(t);
  const body = ["pipelines:", "  p:", "    continue_running_tasks_after_failure: true", "    tasks:", "      err:", "        script: ['exit 1']", "      slow:", "        script: ['sleep 1', 'echo done']", ""];
  const { code, run } = await runJson(["-f", pipelinesFile(dir, body.join("\n"))], dir);
  assert.equal(code, 1);
  assert.equal(task(run, "err").state, "failed");
  assert.equal(task(run, "slow").state, "succeeded");
  assert.equal(await logOf(dir, "slow"), "done\n");
});

test("on_error sees the failed task's name, exit code, error, stdout and stderr; it is skipped when nothing failed", async (t) => {
  const dir = tempDir(t);
  const body = [
    "pipelines:",
    "  p:",
    "    tasks:",
    "      fine:",
    "        script: ['echo fine']",
    "      broken:",
    "        depends_on: [fine]",
    "        script:",
    "          - echo 'to stdout'",
    "          - echo 'to stderr' >&2",
    "          - exit {{ .code }}",
    "    on_error:",
    "      script:",
    '        - echo "task={{ .failedTaskName }} code={{.failedTaskExitCode}} error={{ .failedTaskError }}"',
    '        - echo "stdout={{ .failedTaskStdout }} stderr={{ .failedTaskStderr }}"',
    "",
  ];
  const file = pipelinesFile(dir, body.join("\n"));
  const failed = await runJson(["-f", file, "--arg", "code=3"], dir);
  assert.equal(failed.code, 1);
  assert.equal(failed.run.state, "failed");
  assert.equal(task(failed.run, "on_error").state, "succeeded");
  assert.equal(await logOf(dir, "on_error"), "task=broken code=3 error=exit status 3\nstdout=to stdout stderr=to stderr\n");

  const passed = await runJson(["-f", file, "--arg", "code=0"], dir);
  assert.equal(passed.code, 0);
  assert.equal(task(passed.run, "on_error").state, "skipped");
});

test("a {{ .name }} value is a value: $(touch …) creates nothing and is printed as given", async (t) => {
  const dir = tempDir(t);
  const marker = join(dir, "created");
  const value = `$(touch ${marker}) \`touch ${marker}\` "; touch ${marker}`;
  const { code } = await runJson(["-f", EXAMPLE, "give_me_variables", "--arg", `name=${value}`], dir);
  assert.equal(code, 0);
  assert.equal(existsSync(marker), false);
  assert.equal(await logOf(dir, "hello"), `Hello ${value}\n`);
});

test("env: .env < .env.local < the pipeline's env < the task's, as in prunner", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, ".env"), "FROM_DOTENV=dotenv\nOVERRIDDEN=dotenv\nBY_PIPELINE=dotenv\n");
  writeFileSync(join(dir, ".env.local"), "OVERRIDDEN=dotenv-local\n");
  const body = [
    "pipelines:",
    "  p:",
    "    env:",
    "      BY_PIPELINE: pipeline",
    "      BY_TASK: pipeline",
    "    tasks:",
    "      t:",
    "        env:",
    "          BY_TASK: task",
    "        script:",
    '          - echo "$FROM_DOTENV $OVERRIDDEN $BY_PIPELINE $BY_TASK" > seen.txt',
    "",
  ];
  const { code } = await runJson(["-f", pipelinesFile(dir, body.join("\n"))], dir);
  assert.equal(code, 0);
  // The task's folder is the file's; values from .env files are masked in logs (they may be secrets), so the file shows them.
  assert.equal(readFileSync(join(dir, "seen.txt"), "utf8"), "dotenv dotenv-local pipeline task\n");
});

test("converted with spire convert, prunner's example runs with the same results", async (t) => {
  const dir = tempDir(t);
  copyFileSync(EXAMPLE, join(dir, "pipelines.yml"));
  const converted = await spire(["convert", join(dir, "pipelines.yml")], { data: dir });
  assert.equal(converted.code, 0, converted.stderr);
  writeFileSync(join(dir, "spire.yaml"), converted.stdout);
  const [before, after] = [tempDir(t), tempDir(t)];
  const original = await runJson(["-f", join(dir, "pipelines.yml"), "fail_it"], before);
  const copy = await runJson(["-f", join(dir, "spire.yaml"), "fail_it"], after);
  assert.equal(copy.code, original.code);
  // lint and no-work run side by side: whether fail-fast catches lint still running is a race, in prunner too.
  const view = (run: { tasks: TaskView[] }) => run.tasks.filter((one) => one.path !== "lint").map((one) => [one.path, one.state, one.exit_code]);
  assert.deepEqual(view(copy.run), view(original.run));
  assert.deepEqual(view(copy.run), [
    ["no-work", "failed", 127],
    ["on_error", "succeeded", 0],
  ]);
  assert.equal(await logOf(after, "on_error"), await logOf(before, "on_error"));
});
