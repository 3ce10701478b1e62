/**
 * Usage mistakes at the command line: an unknown command says so in Spire's
 * words and points at the command that does what the word means elsewhere;
 * `help NAME` of no command says so; Commander's errors start with `spire:`
 * and name the command whose help to read; `retry last PIPELINE` works as
 * `cancel last PIPELINE` does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("unknown commands, help of no command, and Commander's own errors, as Spire says them", async (t) => {
  const data = tempDir(t);
  const cases: [string[], RegExp][] = [
    [["check"], /^spire: unknown command "check"\nspire validate -f FILE checks a definitions file\. spire --help lists the commands\.\n$/],
    [["--data", data, "stop"], /^spire: unknown command "stop"\nspire cancel RUN stops a run; spire pause PIPELINE stops its triggers;/],
    [["frobnicate"], /^spire: unknown command "frobnicate"\nspire --help lists the commands\.\n$/],
    [["help", "nosuch"], /^spire: unknown command "nosuch"\n/],
    [["retry"], /^spire: missing required argument 'run'\n\(spire retry --help for usage\)\n$/],
    [["token", "create", "--scope", "nope"], /^spire: option '--scope <scope>' argument 'nope' is invalid\..*\n\(spire token create --help for usage\)\n$/],
  ];
  for (const [args, said] of cases) {
    const result = await spire(args, { data });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, said, args.join(" "));
    assert.equal(result.stdout, "", "no help dumped on stdout");
  }
  assert.equal((await spire(["help", "help"], { data })).code, 0, "help is a command too");
  const help = await spire(["help", "validate"], { data });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: spire validate/);
});

test("retry last PIPELINE retries that pipeline's newest run", async (t) => {
  const data = tempDir(t);
  const file = `${data}/spire.yaml`;
  const { writeFileSync } = await import("node:fs");
  writeFileSync(file, "namespace: home\npipelines:\n  flaky:\n    tasks:\n      t: { run: 'exit 1' }\n  other:\n    tasks:\n      t: { run: 'true' }\n");
  assert.equal((await spire(["run", "-f", file, "flaky"], { data })).code, 1);
  assert.equal((await spire(["run", "-f", file, "other"], { data })).code, 0);
  const retried = await spire(["retry", "last", "flaky", "--json"], { data });
  assert.equal(retried.code, 1, retried.stderr);
  const run = JSON.parse(retried.stdout) as { pipeline: string; trigger: { kind: string } };
  assert.equal(run.pipeline, "flaky", "the newest run of flaky, not the newest run of all");
  assert.equal(run.trigger.kind, "retry");
});

test("a file's errors name it as it was typed, relative to the working folder, in the header and on each line", async (t) => {
  const data = tempDir(t);
  const { mkdirSync, writeFileSync } = await import("node:fs");
  mkdirSync(`${data}/proj`);
  writeFileSync(`${data}/proj/typo.yaml`, "pipelines:\n  p:\n    tasks:\n      a: { run: x, neds: [b] }\n");
  const { spawnSync } = await import("node:child_process");
  const { SPIRE_BIN } = await import("../helpers/cli.js");
  const result = spawnSync(process.execPath, [SPIRE_BIN, "validate", "-f", "proj/typo.yaml"], { cwd: data, env: { ...process.env, SPIRE_DATA: `${data}/d`, NO_COLOR: "1" }, encoding: "utf8" });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^spire: proj\/typo\.yaml has 1 error:\nproj\/typo\.yaml:4:20  pipelines\.p\.tasks\.a\.neds: unknown key `neds`/);
});
