/**
 * Errors a new user meets say what to do next, and a hint names only what
 * the command takes: convert's file is its argument (no -f); an unknown
 * token id points at the list of ids; an unknown --from lists the run's
 * tasks; an unknown name in needs lists those it could be, and a cycle says
 * to remove a dependency; cancelling a finished run says so and what runs it
 * again; an unknown --tz gives the advice once; a definitions file given
 * twice is refused (the first was dropped in silence).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("spire convert: a file that is not there, a folder, a binary: hints without -f, which convert does not take", async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, "nonexistent.yml");
  const folder = join(dir, "folder");
  mkdirSync(folder);
  const binary = join(dir, "program");
  writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
  const [gone, notFile, notText, optionF] = await Promise.all([
    spire(["convert", missing], { data: dir }),
    spire(["convert", folder], { data: dir }),
    spire(["convert", binary], { data: dir }),
    spire(["convert", "-f", missing], { data: dir }),
  ]);
  assert.match(optionF.stderr, /unknown option '-f'/, "convert has no -f indeed");
  assert.equal(gone.code, 2);
  assert.ok(gone.stderr.includes(`${missing}  no such file — check its name, or pass another file\n`), gone.stderr);
  assert.equal(notFile.code, 2);
  assert.ok(notFile.stderr.includes(`${folder}  not a file — pass the definitions file itself\n`), notFile.stderr);
  assert.equal(notText.code, 2);
  assert.ok(notText.stderr.includes("— give the definitions file itself\n"), notText.stderr);
  for (const result of [gone, notFile, notText]) assert.doesNotMatch(result.stderr, /-f\b|default spire\.yaml/);

  // Commands that take -f still point at it.
  const validated = await spire(["validate", "-f", missing], { data: dir });
  assert.ok(validated.stderr.includes(`${missing}  no such file — create it, or pass another file with -f\n`), validated.stderr);
});

test("spire token revoke of an id that is not there points at spire token list, whose ids look like the help's example", async (t) => {
  const data = tempDir(t);
  const alone = await spire(["token", "revoke", "nosuch"], { data });
  assert.equal(alone.code, 2);
  assert.equal(alone.stderr, "spire: no token nosuch that is not revoked\nSee the tokens and their ids with: spire token list.\n");

  const engine = await startEngine(t, data);
  const [throughEngine, listed, help, groupHelp] = await Promise.all([
    spire(["token", "revoke", "nosuch"], { data }),
    spire(["token", "list", "--json"], { data }),
    spire(["token", "revoke", "--help"], { data }),
    spire(["token", "--help"], { data }),
  ]);
  await stopEngine(engine);
  assert.equal(throughEngine.code, 2);
  assert.equal(throughEngine.stderr, alone.stderr, "the engine says the same");
  const ids = (JSON.parse(listed.stdout) as { id: string }[]).map((token) => token.id);
  assert.ok(ids.length > 0, listed.stdout);
  const shape = /^[0-9a-f]{24}$/;
  for (const id of ids) assert.match(id, shape);
  for (const text of [help.stdout, groupHelp.stdout]) {
    const example = /\$ spire token revoke (\S+)/.exec(text)?.[1];
    assert.match(example ?? "", shape, text);
  }
});

test("spire retry --from a task the run does not have lists the run's tasks", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(data, 'pipelines:\n  p:\n    tasks:\n      fetch: { run: "true" }\n      build: { needs: [fetch], run: "false" }\n      checks:\n        needs: [build]\n        group:\n          lint: { run: "true" }\n          unit: { run: "true" }\n');
  const ran = await spire(["run", "-f", file, "p"], { data, cwd: data });
  assert.equal(ran.code, 1, ran.stderr);
  const [unknown, close] = await Promise.all([spire(["retry", "last", "p", "--from", "nosuch"], { data, cwd: data }), spire(["retry", "last", "p", "--from", "biuld"], { data, cwd: data })]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'spire: --from "nosuch": no such task in this run; its tasks: fetch, build, checks, checks/lint, checks/unit\n');
  assert.equal(close.code, 2);
  assert.equal(close.stderr, 'spire: --from "biuld": no such task in this run — did you mean "build"?\n');
});

test("needs: an unknown name with none close to it lists the names it could be; a cycle says to remove a dependency", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(
    data,
    [
      "pipelines:",
      "  p:",
      "    tasks:",
      '      a: { run: "true" }',
      '      b: { run: "true" }',
      "      c:",
      "        needs: [nosuch]",
      '        run: "true"',
      "  q:",
      "    tasks:",
      '      a: { needs: [b], run: "true" }',
      '      b: { needs: [a], run: "true" }',
      "",
    ].join("\n"),
  );
  const result = await spire(["validate", "-f", file], { data });
  assert.equal(result.code, 2);
  assert.ok(result.stderr.includes(`${file}:7:17  pipelines.p.tasks.c.needs[0]: unknown task "nosuch" in needs of c — the tasks it can name here: "a", "b"\n`), result.stderr);
  assert.ok(
    result.stderr.includes(`${file}:11:12  pipelines.q.tasks.a.needs: dependency cycle: a → b → a — none of them could ever start: remove one of these dependencies, such as "b" here\n`),
    result.stderr,
  );
});

test("spire cancel of a finished run: it has finished (how), and what runs it again", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(data, 'pipelines:\n  good:\n    tasks:\n      a: { run: "true" }\n  bad:\n    tasks:\n      a: { run: "false" }\n');
  const [good, bad] = await Promise.all([spire(["run", "-f", file, "good", "--json"], { data, cwd: data }), spire(["run", "-f", file, "bad", "--json"], { data, cwd: data })]);
  const [goodId, badId] = [good, bad].map((result) => (JSON.parse(result.stdout) as { id: string }).id);
  const [passed, failed] = await Promise.all([spire(["cancel", goodId!], { data }), spire(["cancel", badId!], { data })]);
  assert.equal(passed.code, 2);
  const again = /^spire: run \S+ has already finished \(succeeded\): there is nothing to cancel\nTo run it again, start a new run: (spire run \S+\/good)\.\n$/.exec(passed.stderr);
  assert.ok(again, passed.stderr);
  assert.equal(failed.code, 2);
  assert.equal(failed.stderr, `spire: run ${badId} has already finished (failed): there is nothing to cancel\nTo run again what did not pass: spire retry ${badId}.\n`);
  // What they say to do works (from a folder of its own: spire run there has no spire.yaml of its own to prefer).
  const elsewhere = tempDir(t);
  const [rerun, retried] = await Promise.all([spire([...again[1]!.split(" ").slice(1), "--json"], { data, cwd: elsewhere }), spire(["retry", badId!, "--json"], { data })]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(retried.code, 1, "it fails again, but it ran");
  assert.equal((JSON.parse(retried.stdout) as { trigger: { kind: string } }).trigger.kind, "retry");
});

test("--tz with an unknown zone: the closest name, and how zones are named, once", async (t) => {
  const data = tempDir(t);
  const result = await spire(["next", "0 3 * * *", "--tz", "Europe/Berlni"], { data });
  assert.equal(result.code, 2);
  assert.equal(result.stderr.match(/IANA/g)?.length, 1, result.stderr);
  assert.ok(result.stderr.startsWith('spire: --tz: unknown time zone "Europe/Berlni" (did you mean Europe/Berlin?)\n'), result.stderr);
});

test("a definitions file given twice is refused with both names and what to do; other options keep the last one given", async (t) => {
  const data = tempDir(t);
  const engine = await spire(["engine", "-f", "a.yaml", "-f", "b.yaml"], { data });
  assert.equal(engine.code, 2, "refused before the engine starts");
  assert.match(engine.stderr, /^spire: option '-f, --file <file>' argument 'b\.yaml' is invalid\. It takes one file \(or a folder\), and was given 2: "a\.yaml", "b\.yaml"; run the command once for each \(spire apply -f FILE applies one to the engine\)\n/);
  const next = await spire(["next", "0 3 * * *", "-n", "2", "--tz", "UTC", "--tz", "Europe/Berlin", "--json"], { data });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stdout, /\+01:00/, "the last --tz given");
});
