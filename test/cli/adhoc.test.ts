/**
 * Ad hoc jobs as a user meets them: `spire run [--when SPEC] -- COMMAND…`
 * runs a command now (on the engine, or in this process when none runs) or
 * on a schedule, as a pipeline that spire ls lists and spire rm removes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

interface Listed {
  namespace: string;
  name: string;
  description: string | null;
  paused: boolean;
  next_fire_at: string | null;
  triggers: { kind: string }[];
}

async function listed(data: string): Promise<Listed[]> {
  return JSON.parse((await spire(["ls", "--json"], { data })).stdout);
}

async function runsOf(data: string, pipeline?: string): Promise<{ id: string; pipeline: string; state: string; trigger: { kind: string } }[]> {
  return JSON.parse((await spire(["runs", ...(pipeline ? [pipeline] : []), "--json", "-n", "1000"], { data })).stdout);
}

test("without an engine, spire run -- COMMAND runs it here, prints its output, exits with its result, and records it", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const ok = await spire(["run", "--", "echo", "hi"], { data, cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "hi\n", "stdout carries the command's output and nothing else");
  assert.match(ok.stderr, /✓ run \w+ succeeded in \S+ \(\w+\/echo-hi-[0-9a-f]{8}\)/);

  const failing = await spire(["run", "--", "sh", "-c", "echo out; echo err >&2; exit 3"], { data, cwd: dir });
  assert.equal(failing.code, 1);
  assert.equal(failing.stdout, "out\n");
  assert.match(failing.stderr, /^err\n/);
  assert.match(failing.stderr, /✗ run \w+ failed: exit code 3/);

  const runs = await runsOf(data);
  assert.deepEqual(
    runs.map((run) => [run.pipeline.replace(/-[0-9a-f]{8}$/, ""), run.state]),
    [
      ["sh-c-echo-out-echo-err-2-exit-3", "failed"],
      ["echo-hi", "succeeded"],
    ],
  );
});

test("python:, node: and cmd: pick the runner, and no shell ever reads the words", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const literal = "$(touch made-by-a-shell); touch also-made `touch third`";
  const cmd = await spire(["run", "--", "cmd:echo", literal], { data, cwd: dir });
  assert.equal(cmd.code, 0, cmd.stderr);
  assert.equal(cmd.stdout, `${literal}\n`);
  const plain = await spire(["run", "--", "echo", literal, "|", "cat", ">", "out.txt"], { data, cwd: dir });
  assert.equal(plain.stdout, `${literal} | cat > out.txt\n`);
  for (const file of ["made-by-a-shell", "also-made", "third", "out.txt"]) assert.equal(existsSync(join(dir, file)), false, `${file} was not created`);

  const python = await spire(["run", "--", "python:import sys; print('py', *sys.argv[1:])", "a b", "$HOME"], { data, cwd: dir });
  assert.equal(python.code, 0, python.stderr);
  assert.equal(python.stdout, "py a b $HOME\n");
  const node = await spire(["run", "--", "node:console.log(process.argv.slice(1).join('|'), process.cwd())", "x", "y"], { data, cwd: dir });
  assert.equal(node.code, 0, node.stderr);
  assert.equal(node.stdout, `x|y ${dir}\n`, "the words are the code's arguments; it runs in the current folder");
});

test("with an engine, the run is followed there: output, exit code, --detach, --json", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data);
  const ok = await spire(["run", "--", "sh", "-c", "echo one; sleep 0.2; echo two"], { data, cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "one\ntwo\n");
  const failing = await spire(["run", "--", "sh", "-c", "echo bad >&2; exit 5"], { data, cwd: dir });
  assert.equal(failing.code, 1);
  assert.match(failing.stderr, /bad\n.*failed: exit code 5/s);

  const detached = await spire(["run", "--detach", "--", "echo", "later"], { data, cwd: dir });
  assert.match(detached.stdout, /^\w{16}\n$/);
  const json = await spire(["run", "--json", "--", "echo", "later"], { data, cwd: dir });
  const run = JSON.parse(json.stdout);
  assert.equal(run.state, "succeeded");
  assert.equal(run.tasks[0].exit_code, 0);

  const pipelines = await listed(data);
  assert.equal(pipelines.length, 3, "the same command twice is one pipeline");
  const later = pipelines.find((p) => p.name.startsWith("echo-later-"))!;
  assert.equal(later.description, "ad hoc run: echo later");
  assert.equal(run.pipeline, later.name);
  assert.equal((await runsOf(data, later.name)).length, 2);
  await stopEngine(engine);
});

test('--when "every 1s" schedules it: listed with its next fire time, it fires, spire rm removes it and its runs stay', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data);
  assert.equal((await spire(["run", "--", "echo", "once"], { data, cwd: dir })).code, 0);

  const made = await spire(["run", "--when", "every 1s", "--json", "--", "echo", "tick"], { data, cwd: dir });
  assert.equal(made.code, 0, made.stderr);
  const job = JSON.parse(made.stdout);
  assert.equal(job.change, "created");
  assert.equal(job.description, "every second");
  assert.equal(job.next.length, 3);
  const again = await spire(["run", "--when", "every 1s", "--", "echo", "tick"], { data, cwd: dir });
  assert.match(again.stdout, new RegExp(`✓ ${job.namespace}/${job.pipeline} already there: echo tick\n  every second\n  next: `));
  assert.match(again.stdout, new RegExp(`remove it: spire rm ${job.namespace}/${job.pipeline}`));

  const pipelines = await listed(data);
  assert.deepEqual(pipelines.map((p) => p.name).sort(), [job.pipeline, pipelines.find((p) => p.name.startsWith("echo-once-"))!.name].sort(), "apply without prune left the other pipeline alone");
  const scheduled = pipelines.find((p) => p.name === job.pipeline)!;
  assert.ok(scheduled.next_fire_at, "spire ls has its next fire time");
  assert.deepEqual(scheduled.triggers.map((trigger) => trigger.kind), ["every"]);
  const table = await spire(["ls"], { data });
  assert.match(table.stdout, new RegExp(`${job.pipeline} .* \\(in \\d.*every +ad hoc run: echo tick`));

  let runs: Awaited<ReturnType<typeof runsOf>> = [];
  const deadline = Date.now() + 10_000;
  while (runs.length < 2 && Date.now() < deadline) runs = await runsOf(data, job.pipeline);
  assert.ok(runs.length >= 2, `it fired (${runs.length} runs)`);
  assert.ok(runs.every((run) => run.trigger.kind === "every"));

  const removed = await spire(["rm", job.pipeline], { data });
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal((await listed(data)).some((p) => p.name === job.pipeline), false);
  const kept = (await runsOf(data, job.pipeline)).length;
  assert.ok(kept >= 2, "its runs stay after rm");
  await stopEngine(engine);
  assert.equal((await runsOf(data, job.pipeline)).length, kept, "and nothing fired after rm");
});

test("--ns puts the job in an existing namespace and leaves its pipelines, locks and origin as they were", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data);
  const file = pipelineFile(dir, "namespace: home\nmetadata: { author: jane }\nlocks: { db: 2 }\npipelines:\n  backup:\n    locks: [db]\n    tasks:\n      a: { run: 'true' }\n");
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const result = await spire(["run", "--ns", "home", "--", "echo", "hi"], { data, cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual((await listed(data)).map((p) => `${p.namespace}/${p.name.replace(/-[0-9a-f]{8}$/, "")}`).sort(), ["home/backup", "home/echo-hi"]);
  const [home] = JSON.parse((await spire(["ns", "--json"], { data })).stdout);
  assert.equal(home.origin.path, file);
  assert.equal(home.origin.author, "jane");
  assert.deepEqual(home.metadata, { author: "jane", locks: { db: 2 } });
  await stopEngine(engine);
});

test("bad input is a clear error with exit code 2 (3 when a schedule has no engine)", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const cases: [string[], RegExp][] = [
    [["run", "--when", "nonsense", "--", "x"], /--when: "nonsense" is not a schedule\n--when takes once \(the default\), a cron/],
    [["run", "--when", "every 10ms", "--", "x"], /every 10ms is shorter than 50ms/],
    [["run", "--when", "every soon", "--", "x"], /"soon" is not a duration/],
    [["run", "--when", "61 * * * *", "--", "x"], /--when: .*minute/i],
    [["run", "--"], /no command after --\nFor example: spire run -- echo hello/],
    [["run", "--", "echo hi"], /one word with spaces: "echo hi"\nGive the words separately/],
    [["run", "--", "python:"], /python: needs code after it/],
    [["run", "backup", "--", "echo"], /a pipeline or a command after --, not both/],
    [["run", "--arg", "a=b", "--", "echo"], /-f and --arg are for pipelines/],
    [["run", "--ns", "-bad", "--", "echo"], /--ns "-bad" is not a namespace name/],
    [["run", "backup", "extra"], /one pipeline at a time/],
    [["watch", "-n", "-1", "--", "date"], /-n must be a number of seconds, at least 0.05; got "-1"/],
    [["watch", "-n", "soon", "--", "date"], /-n must be a number of seconds/],
    [["watch"], /missing required argument 'command'/],
  ];
  for (const [args, message] of cases) {
    const result = await spire(args, { data, cwd: dir });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(" "));
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
  const scheduled = await spire(["run", "--when", "@daily", "--", "date"], { data, cwd: dir });
  assert.equal(scheduled.code, 3);
  assert.match(scheduled.stderr, /a schedule \(--when @daily\) needs a running engine, and none is running\nStart it with: spire engine/);
});

test("run and watch --help explain ad hoc commands, with examples", async (t) => {
  const data = tempDir(t);
  for (const command of ["run", "watch"]) {
    const help = await spire([command, "--help"], { data });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:\n {2}\$ /);
  }
  assert.match((await spire(["run", "--help"], { data })).stdout, /same command with the same --when from the\nsame folder is the same pipeline/);
});
