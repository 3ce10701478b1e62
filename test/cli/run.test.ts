/**
 * `spire run -f` end to end, through the real program: a run is executed,
 * recorded, and read back with `runs`, `show` and `logs`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { example, spire, startSpire } from "../helpers/cli.js";

checkNoLeftoverProcesses();

test("the hello example runs, outputs flow downstream, and the run is recorded", async (t) => {
  const data = tempDir(t);
  const result = await spire(["run", "-f", example("hello.yaml")], { data });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) greet started$/m, "plain mode prints timestamped lines");
  assert.match(result.stdout, /greet succeeded in \d/);
  assert.match(result.stdout, /count\[2\] succeeded/);
  assert.match(result.stdout, /run \w{16} succeeded in .*6 succeeded/);

  const shown = await spire(["show", "last", "--json"], { data });
  assert.equal(shown.code, 0, shown.stderr);
  const run = JSON.parse(shown.stdout);
  assert.equal(run.state, "succeeded");
  assert.equal(run.pipeline, "hello");
  assert.deepEqual(run.args, { name: "world" });
  assert.deepEqual(
    run.tasks.map((task: { path: string }) => task.path),
    ["greet", "count[0]", "count[1]", "count[2]", "version", "goodbye"],
  );
  assert.deepEqual(run.metrics.n, { min: 0, max: 2, mean: 1, sum: 3, count: 3 });
  const version = run.tasks.find((task: { path: string }) => task.path === "version");
  assert.match(version.outputs.python, /^3\.\d+\.\d+$/);

  const logs = await spire(["logs", "last", "goodbye"], { data });
  assert.equal(logs.stdout.trim(), `goodbye from python ${version.outputs.python}`);

  const runs = await spire(["runs", "--json"], { data });
  const listed = JSON.parse(runs.stdout);
  assert.equal(listed.length, 1);
  assert.equal(listed[0].id, run.id);
});

test("--json prints only the run object of SPEC §5", async (t) => {
  const data = tempDir(t);
  const result = await spire(["run", "-f", example("hello.yaml"), "--json", "--arg", "name=Ada Lovelace"], { data });
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout);
  for (const key of ["id", "namespace", "pipeline", "state", "trigger", "args", "created_at", "started_at", "finished_at", "duration_ms", "warnings", "errors", "metrics", "tasks"]) {
    assert.ok(key in run, `run object has ${key}`);
  }
  for (const key of ["name", "path", "state", "attempts", "exit_code", "started_at", "finished_at", "duration_ms", "cpu_ms", "peak_rss_bytes", "warnings", "errors", "metrics", "outputs", "reason"]) {
    assert.ok(key in run.tasks[0], `task object has ${key}`);
  }
  assert.equal(run.args.name, "Ada Lovelace");
  assert.equal(run.trigger.kind, "manual");
  assert.equal(typeof run.duration_ms, "number");
});

test("a failing run exits 1 and ends with the last lines of the failed task", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "fail.yaml");
  writeFileSync(
    file,
    `pipelines:
  broken:
    tasks:
      first:
        run: echo "about to fail"; echo "disk full" >&2; exit 3
      after:
        needs: [first]
        run: echo never
      handler:
        on_fail: [first]
        run: echo handled
`,
  );
  const result = await spire(["run", "-f", file], { data: join(dir, "data") });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /first failed \(exit 3\)/);
  assert.match(result.stdout, /after skipped: needs first, which failed/);
  assert.match(result.stdout, /handler succeeded/);
  assert.match(result.stdout, /✗ first: exit code 3\n {2}│ about to fail\n {2}│ disk full\n/);
  assert.match(result.stdout, /run \w+ failed/);
});

test("retries count attempts and keep each attempt's log", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "flaky.yaml");
  writeFileSync(
    file,
    `pipelines:
  flaky:
    tasks:
      try:
        run: echo "attempt $SPIRE_ATTEMPT"; [ "$SPIRE_ATTEMPT" -ge 3 ]
        retries: { max: 4, backoff: 10ms, factor: 2 }
`,
  );
  const data = join(dir, "data");
  const result = await spire(["run", "-f", file, "--json"], { data });
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout);
  assert.equal(run.tasks[0].attempts, 3);
  assert.equal(run.tasks[0].state, "succeeded");
  const second = await spire(["logs", "last", "try", "--attempt", "2"], { data });
  assert.equal(second.stdout.trim(), "attempt 2");
});

test("an argument like $(touch …); id reaches tasks literally through run and exec, and creates nothing", async (t) => {
  const dir = tempDir(t);
  const witness = join(dir, "pwned");
  const file = join(dir, "inject.yaml");
  writeFileSync(
    file,
    `pipelines:
  inject:
    args:
      value: { required: true }
    tasks:
      via_env:
        run: printf '%s\\n' "$SPIRE_ARG_VALUE"
      via_exec:
        exec: [printf, "%s\\n", "\${{ args.value }}"]
      via_template_env:
        env: { V: "\${{ args.value }}" }
        run: printf '%s\\n' "$V"
`,
  );
  const data = join(dir, "data");
  const value = `$(touch ${witness}); id \`touch ${witness}\``;
  const result = await spire(["run", "-f", file, "--arg", `value=${value}`], { data });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  for (const task of ["via_env", "via_exec", "via_template_env"]) {
    const logs = await spire(["logs", "last", task], { data });
    assert.equal(logs.stdout, `${value}\n`, task);
  }
  assert.equal(existsSync(witness), false, "the injected command must not run");
});

test("a timeout ends the task's whole process group, grandchildren included", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "slow.yaml");
  writeFileSync(
    file,
    `pipelines:
  slow:
    tasks:
      sleeper:
        run: sleep 30 & echo "grandchild $!"; sleep 30
        timeout: 300ms
        kill_grace: 200ms
`,
  );
  const result = await spire(["run", "-f", file, "--json"], { data: join(dir, "data") });
  assert.equal(result.code, 1);
  const run = JSON.parse(result.stdout);
  assert.equal(run.tasks[0].state, "timed_out");
  assert.match(run.tasks[0].reason, /timed out after/);
  // checkNoLeftoverProcesses() then proves both sleeps are gone.
});

test("bad usage exits 2 with what to do next", async (t) => {
  const data = tempDir(t);
  const unknown = await spire(["run", "-f", example("spire.yaml"), "nope"], { data });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /has no pipeline "nope"\nIts pipelines: report, shards/);

  const several = await spire(["run", "-f", example("spire.yaml")], { data });
  assert.equal(several.code, 2);
  assert.match(several.stderr, /has 2 pipelines; say which one to run/);

  const badArg = await spire(["run", "-f", example("hello.yaml"), "--arg", "nam=x"], { data });
  assert.equal(badArg.code, 2);
  assert.match(badArg.stderr, /unknown argument "nam" — did you mean "name"\?/);

  const badPattern = await spire(["run", "-f", example("hello.yaml"), "--arg", "name=x1"], { data });
  assert.equal(badPattern.code, 2);
  assert.match(badPattern.stderr, /argument "name" must match/);

  const missing = await spire(["run", "-f", "does-not-exist.yaml"], { data });
  assert.equal(missing.code, 2);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, "no stack trace");

  const noRun = await spire(["show", "zzzz"], { data });
  assert.equal(noRun.code, 2);
  assert.match(noRun.stderr, /no run with id zzzz|there are no runs yet/);
});

test("every command has --help with an example", async (t) => {
  const data = tempDir(t);
  const commands = ["validate", "run", "runs", "show", "logs", "engine", "apply", "ls", "ns", "cancel", "retry", "pause", "resume", "rm", "token", "token create", "token list", "token revoke", "audit", "next", "hook"];
  for (const command of commands) {
    const result = await spire([...command.split(" "), "--help"], { data });
    assert.equal(result.code, 0, command);
    assert.match(result.stdout, /Examples:\n {2}\$ /, command);
  }
});

test("logs -f follows a live run to its end", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const file = join(dir, "ticks.yaml");
  writeFileSync(file, `pipelines:\n  ticks:\n    tasks:\n      tick:\n        run: for i in 1 2 3 4 5; do echo "tick $i"; sleep 0.2; done; echo "late" >&2\n`);
  const running = spire(["run", "-f", file], { data });
  // Follow as soon as the run exists.
  let listed: { id: string }[] = [];
  while (listed.length === 0) {
    listed = JSON.parse((await spire(["runs", "--json"], { data })).stdout);
  }
  const followed = await spire(["logs", "-f", listed[0]!.id, "tick"], { data });
  assert.equal(followed.code, 0, followed.stderr);
  assert.equal(followed.stdout, "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\nlate\n");
  assert.equal((await running).code, 0);
});

test("a reader that leaves early (spire logs … | head) ends spire quietly with 0, no stack trace", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "long.yaml");
  writeFileSync(file, "pipelines:\n  long:\n    tasks:\n      count: { run: 'seq 1 300000' }\n");
  const data = join(dir, "data");
  assert.equal((await spire(["run", "-f", file], { data })).code, 0);
  const child = startSpire(["logs", "last"], { data });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // Like head: read the first chunk, then close the pipe.
  child.stdout!.once("data", () => child.stdout!.destroy());
  const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));
  assert.equal(stderr, "");
  assert.equal(code, 0);
});
