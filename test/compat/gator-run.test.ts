/**
 * Gator's own example files run with `spire run -f`, unchanged, with the
 * results Gator documents; converted with `spire convert`, they run the same.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { FIXTURES } from "../definitions/fixtures.js";

checkNoLeftoverProcesses();

const gator = (name: string) => join(FIXTURES, "compat", "gator", name);

interface TaskView {
  path: string;
  state: string;
  exit_code: number | null;
  reason: string | null;
}

async function runJson(file: string, data: string): Promise<{ code: number | null; run: { state: string; tasks: TaskView[] } }> {
  const result = await spire(["run", "-f", file, "--json"], { data });
  assert.ok(result.stdout.trim().startsWith("{"), result.stdout + result.stderr);
  return { code: result.code, run: JSON.parse(result.stdout) };
}

const states = (tasks: TaskView[]) => tasks.map((task) => [task.path, task.state, task.exit_code]);

async function logOf(data: string, task: string): Promise<string> {
  return (await spire(["logs", "last", task], { data })).stdout.trim();
}

/** Every task's log lines, from one `spire logs last` (each line is `PATH TEXT`). */
async function allLogs(data: string): Promise<Set<string>> {
  const result = await spire(["logs", "last"], { data });
  assert.equal(result.code, 0, result.stderr);
  return new Set(result.stdout.trim().split("\n"));
}

test("job_sequence.yaml: job_a cannot start (exit 255, saying why), so job_b and job_c are skipped", async (t) => {
  const data = tempDir(t);
  const { code, run } = await runJson(gator("job_sequence.yaml"), data);
  assert.equal(code, 1);
  assert.equal(run.state, "failed");
  assert.deepEqual(states(run.tasks), [
    ["job_a", "failed", 255],
    ["job_b", "skipped", null],
    ["job_c", "skipped", null],
  ]);
  assert.match(run.tasks[0]!.reason!, /command not found: exit/, "`exit` is a shell builtin: without a shell there is no such program");
  assert.match(await logOf(data, "job_a"), /command not found: exit/);
});

test("job_array.yaml: every copy runs with its index, the nested array's copies with theirs", async (t) => {
  const data = tempDir(t);
  const { code, run } = await runJson(gator("job_array.yaml"), data);
  assert.equal(code, 0);
  assert.equal(run.tasks.length, 4 + 4 * 3);
  assert.deepEqual(run.tasks.filter((task) => task.state !== "succeeded"), []);
  const logs = await allLogs(data);
  for (let i = 0; i < 4; i++) {
    assert.ok(logs.has(`array[${i}]/say_count count ${i}`), [...logs].join("\n"));
    for (let j = 0; j < 3; j++) assert.ok(logs.has(`array[${i}]/nested[${j}]/nested_say_count inner count ${j}`), [...logs].join("\n"));
  }
});

test("job.yaml: $VARs come from the job's env, and the command runs without a shell", async (t) => {
  const data = tempDir(t);
  const { code } = await runJson(gator("job.yaml"), data);
  assert.equal(code, 0);
  assert.equal(await logOf(data, "test_job"), "hey there you");
});

test("job_tree.yaml and job_group.yaml: groups, inherited env, on_pass and on_fail in order", async (t) => {
  const [treeData, groupData] = [tempDir(t), tempDir(t)];
  // Both sleep 10 s (their own `sleep 10`): run side by side.
  const [tree, group] = await Promise.all([runJson(gator("job_tree.yaml"), treeData), runJson(gator("job_group.yaml"), groupData)]);

  assert.equal(group.code, 0);
  assert.deepEqual(states(group.run.tasks), [
    ["job_a", "succeeded", 0],
    ["nested/job_b", "succeeded", 0],
    ["nested/job_c", "succeeded", 0],
  ]);
  assert.equal(await logOf(groupData, "nested/job_b"), "This is B");

  // say_bye runs after inner passed and fails (bash -c "exit 1"); array runs because it failed.
  assert.equal(tree.code, 1);
  const byPath = new Map(tree.run.tasks.map((task) => [task.path, task]));
  assert.equal(byPath.get("inner/delay_10")!.state, "succeeded");
  assert.equal(byPath.get("inner/say_hi")!.state, "succeeded");
  assert.deepEqual([byPath.get("say_bye")!.state, byPath.get("say_bye")!.exit_code], ["failed", 1]);
  const copies = tree.run.tasks.filter((task) => task.path.startsWith("array["));
  assert.equal(copies.length, 16);
  assert.ok(copies.every((task) => task.state === "succeeded"));
  const logs = await allLogs(treeData);
  assert.ok(logs.has("inner/say_hi hi hello_inner goodbye innermost"), [...logs].join("\n"));
  assert.ok(logs.has("array[2]/nested[1]/nested_say_count inner count 1"));
});

test("converted with spire convert, the files run with the same results", async (t) => {
  for (const name of ["job_sequence.yaml", "job_array.yaml"]) {
    const dir = tempDir(t);
    copyFileSync(gator(name), join(dir, name));
    const converted = await spire(["convert", join(dir, name)], { data: dir });
    assert.equal(converted.code, 0, converted.stderr);
    assert.match(converted.stdout, /^# Converted by `spire convert` from /);
    writeFileSync(join(dir, "spire.yaml"), converted.stdout);
    const validated = await spire(["validate", "-f", join(dir, "spire.yaml")], { data: dir });
    assert.equal(validated.code, 0, validated.stdout + validated.stderr);
    assert.doesNotMatch(validated.stdout, /read as/, "the converted file is Spire's own format");

    const [original, copy] = [tempDir(t), tempDir(t)];
    const before = await runJson(join(dir, name), original);
    const after = await runJson(join(dir, "spire.yaml"), copy);
    assert.equal(after.code, before.code, name);
    assert.deepEqual(states(after.run.tasks), states(before.run.tasks), name);
    assert.deepEqual(await allLogs(copy), await allLogs(original), name);
  }
});

test("on_fail with two jobs runs only when both failed (Gator ANDs its conditions)", async (t) => {
  const dir = tempDir(t);
  const file = (second: string) => {
    const path = join(dir, `jobs-${second}.yaml`);
    const jobs = ["!JobGroup", "ident: top", "jobs:", "  - !Job { ident: a, command: 'false' }", `  - !Job { ident: b, command: '${second}' }`, "  - !Job { ident: c, command: echo, args: [both failed], on_fail: [a, b] }", ""];
    writeFileSync(path, jobs.join("\n"));
    return path;
  };
  const both = await runJson(file("false"), tempDir(t));
  assert.equal(both.run.tasks.find((task) => task.path === "c/c")?.state, "succeeded");
  const one = await runJson(file("true"), tempDir(t));
  assert.equal(one.run.tasks.find((task) => task.path === "c/c")?.state, "skipped");
});
