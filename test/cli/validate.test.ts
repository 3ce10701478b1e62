/**
 * Mistakes a new user makes in a definitions file, through the real `spire`:
 * validate, next, engine -f and apply all say the same thing about them, at
 * file:line:column, and warnings never block.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

const withCron = (cron: string) => `pipelines:\n  nightly:\n    triggers:\n      - cron: ${JSON.stringify(cron)}\n    tasks:\n      t: { run: "true" }\n`;

test("a mistyped cron: validate refuses it where it is, and next -f says the same, never `internal error`", async (t) => {
  const dir = tempDir(t);
  const file = pipelineFile(dir, withCron("61 25 * * *"));
  const message = 'cron "61 25 * * *": minute field "61": a value is out of range; allowed: 0-59 and * , - / ?';
  const [validated, fromFile, direct] = await Promise.all([
    spire(["validate", "-f", file], { data: dir }),
    spire(["next", "nightly", "-f", file], { data: dir }),
    spire(["next", "61 25 * * *"], { data: dir }),
  ]);
  assert.equal(validated.code, 2);
  assert.ok(validated.stderr.includes(`${file}:4:16  pipelines.nightly.triggers[0].cron: ${message}`), validated.stderr);
  assert.equal(fromFile.code, 2);
  assert.ok(fromFile.stderr.includes(`${file}:4:16  pipelines.nightly.triggers[0].cron: ${message}`), fromFile.stderr);
  assert.doesNotMatch(fromFile.stderr, /internal error/);
  assert.equal(direct.code, 2);
  assert.ok(direct.stderr.startsWith(`spire: ${message}\n`), direct.stderr);
});

test("validate accepts a cron exactly when next does (a few real runs; the property test does many at the function level)", async (t) => {
  const dir = tempDir(t);
  const crons = ["every day at 3", "0 0 * * 5#L", "*/0 * * * *", "@daily"];
  const results = await Promise.all(
    crons.map(async (cron, index) => {
      const file = join(dir, `c${index}.yaml`);
      writeFileSync(file, withCron(cron));
      const [validated, next] = await Promise.all([spire(["validate", "-f", file], { data: dir }), spire(["next", cron, "-n", "1"], { data: dir })]);
      return { cron, validated: validated.code, next: next.code, stderr: next.stderr };
    }),
  );
  for (const result of results) {
    assert.equal(result.validated, result.next, `${result.cron}: validate ${result.validated}, next ${result.next}`);
    assert.doesNotMatch(result.stderr, /internal error/);
  }
  assert.deepEqual(results.map((result) => result.validated), [2, 0, 2, 0]);
});

test("warnings do not block: validate says them, exit 0, and --json lists them apart from errors", async (t) => {
  const dir = tempDir(t);
  const file = pipelineFile(dir, 'pipelines:\n  party:\n    triggers:\n      - at: "2020-01-01T18:00:00+01:00"\n      - watch: ./inbox\n    tasks:\n      t: { run: "true" }\n');
  const plain = await spire(["validate", "-f", file], { data: dir });
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /is valid: 1 pipeline \(party\), 1 task; 2 warnings:/);
  assert.ok(plain.stderr.includes(`${file}:4:13  warning: pipelines.party.triggers[0].at: 2020-01-01T18:00:00+01:00 is past, so this trigger will never fire`), plain.stderr);
  assert.ok(plain.stderr.includes(`${file}:5:16  warning: pipelines.party.triggers[1].watch: "./inbox" does not exist yet`), plain.stderr);
  const json = JSON.parse((await spire(["validate", "-f", file, "--json"], { data: dir })).stdout);
  assert.equal(json.ok, true);
  assert.deepEqual(json.errors, []);
  assert.deepEqual(json.warnings.map((warning: { keyPath: string; severity: string }) => [warning.keyPath, warning.severity]), [
    ["pipelines.party.triggers[0].at", "warning"],
    ["pipelines.party.triggers[1].watch", "warning"],
  ]);
  const next = await spire(["next", "party", "-f", file, "--tz", "UTC"], { data: dir });
  assert.equal(next.code, 0, next.stderr);
  assert.equal(next.stdout, "once at 2020-01-01T17:00:00+00:00\n  no fire times left\n");
});

test("spire engine -f with a missing or invalid file says what validate says, and starts nothing", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const missing = join(dir, "nosuch.yaml");
  const [engine, validated] = await Promise.all([spire(["engine", "-f", missing], { data }), spire(["validate", "-f", missing], { data })]);
  assert.equal(engine.code, 2);
  assert.doesNotMatch(engine.stderr, /ENOENT/);
  const said = `${missing}  no such file — create it, or pass another file with -f`;
  assert.ok(validated.stderr.includes(said), validated.stderr);
  assert.ok(engine.stderr.includes(said), engine.stderr);
  assert.match(engine.stderr, /The engine did not start/);

  const bad = pipelineFile(dir, withCron("0 3 * *"));
  const refused = await spire(["engine", "-f", bad], { data });
  assert.equal(refused.code, 2);
  assert.ok(refused.stderr.includes(`${bad}:4:15  pipelines.nightly.triggers[0].cron: cron "0 3 * *": has 4 fields`), refused.stderr);
  assert.equal(existsSync(join(data, "engine.json")), false, "the engine never listened");
});

test("apply: a file with an error (a cron, a missing script) applies nothing; warnings (a past at, an after the engine lacks) are applied and said", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const bad = pipelineFile(data, withCron("0 0 * * 8"));
  const refused = await spire(["apply", "-f", bad], { data });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /nothing was applied/i);
  assert.match(refused.stderr, /pipelines\.nightly\.triggers\[0\]\.cron: cron "0 0 \* \* 8": day-of-week field "8": a value is out of range/);
  const noScript = pipelineFile(data, "pipelines:\n  nightly:\n    tasks:\n      t: { script: ./backup.sh }\n");
  const missing = await spire(["apply", "-f", noScript], { data });
  assert.equal(missing.code, 2);
  assert.ok(missing.stderr.includes(`${noScript}:4:20  pipelines.nightly.tasks.t.script: "./backup.sh" does not exist (looked for ${join(data, "backup.sh")})`), missing.stderr);

  const warned = pipelineFile(data, 'pipelines:\n  late:\n    triggers:\n      - at: "2020-01-01T00:00:00Z"\n      - after: { pipeline: elsewhere/ingest }\n    tasks:\n      t: { run: "true" }\n');
  const applied = await spire(["apply", "-f", warned], { data });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /\+ late {2}created/);
  assert.match(applied.stderr, /:4:13 {2}warning: pipelines\.late\.triggers\[0\]\.at: 2020-01-01T00:00:00Z is past, so this trigger will never fire/);
  assert.match(applied.stderr, /:5:28 {2}warning: pipelines\.late\.triggers\[1\]\.after\.pipeline: the engine has no pipeline elsewhere\/ingest yet/);
  const ls = JSON.parse((await spire(["ls", "--json"], { data })).stdout) as { name: string }[];
  assert.deepEqual(ls.map((pipeline) => pipeline.name), ["late"]);

  // The pipeline it follows arrives from another file, then is renamed there (--prune removes the old name): said, with what to do.
  const upstream = join(data, "upstream");
  mkdirSync(upstream);
  const ingest = (name: string) => pipelineFile(upstream, `namespace: elsewhere\npipelines:\n  ${name}:\n    tasks:\n      t: { run: "true" }\n`);
  const first = await spire(["apply", "-f", ingest("ingest")], { data });
  assert.equal(first.code, 0, first.stderr);
  assert.doesNotMatch(first.stderr, /warning/);
  const renamed = await spire(["apply", "--prune", "-f", ingest("ingest_daily")], { data });
  assert.equal(renamed.code, 0, renamed.stderr);
  assert.match(renamed.stdout, /- ingest {2}removed/);
  assert.match(renamed.stderr, /warning: pipelines: elsewhere\/ingest is removed, and \S+\/late follows it \(after: \{ pipeline: elsewhere\/ingest \}\): that trigger starts nothing until a pipeline of that name is applied again/);
  assert.match(renamed.stderr, /if it was renamed, change that trigger's pipeline: to the new name in \S+\/late's file and apply that file again/i);
  // Removed by hand, the same is said.
  assert.equal((await spire(["apply", "-f", ingest("ingest")], { data })).code, 0);
  const removed = await spire(["rm", "elsewhere/ingest"], { data });
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /elsewhere\/ingest removed/);
  assert.match(removed.stderr, /^warning: \S+\/late follows it \(after: \{ pipeline: elsewhere\/ingest \}\): that trigger starts nothing until a pipeline of that name is applied again$/m);
  assert.doesNotMatch((await spire(["rm", "elsewhere/ingest_daily"], { data })).stderr, /warning/, "one nobody follows: nothing said");
  await stopEngine(engine);
});
