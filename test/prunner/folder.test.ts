/**
 * prunner's file layout: `-f FOLDER` reads every pipelines.yml and
 * pipelines.yaml in it and below it (links followed), in path order, as
 * prunner's `**\/pipelines.{yml,yaml}` does; a pipeline declared in two
 * files is an error that names both places.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

const pipeline = (name: string) => `pipelines:\n  ${name}:\n    tasks:\n      a:\n        script: ["echo ${name}"]\n`;

/** project/pipelines.yml, project/app/deep/pipelines.yaml, and project/linked → a folder outside with its own pipelines.yml; notes.yml is not read. */
function project(root: string): string {
  const dir = join(root, "project");
  mkdirSync(join(dir, "app", "deep"), { recursive: true });
  mkdirSync(join(root, "elsewhere"));
  writeFileSync(join(dir, "pipelines.yml"), pipeline("release"));
  writeFileSync(join(dir, "app", "deep", "pipelines.yaml"), pipeline("deep"));
  writeFileSync(join(dir, "notes.yml"), "not: [a pipelines file\n");
  writeFileSync(join(root, "elsewhere", "pipelines.yml"), pipeline("linked"));
  symlinkSync(join(root, "elsewhere"), join(dir, "linked"));
  return dir;
}

test("spire validate -f FOLDER reads every pipelines.yml/.yaml below it; a pipeline in two files names both", async (t) => {
  const root = tempDir(t);
  const dir = project(root);
  const valid = await spire(["validate", "-f", dir], { data: join(root, "data") });
  assert.equal(valid.code, 0, valid.stderr);
  assert.match(valid.stdout, /is valid \(3 prunner pipelines\.yml files\): 3 pipelines \(deep, linked, release\), 3 tasks/);

  writeFileSync(join(dir, "app", "pipelines.yml"), `# the second release\n${pipeline("other")}  release:\n    tasks:\n      b:\n        script: ["true"]\n`);
  const twice = await spire(["validate", "-f", dir], { data: join(root, "data") });
  assert.equal(twice.code, 2, twice.stdout);
  // Path order: project/app/pipelines.yml comes before project/pipelines.yml, so the later one is the second.
  const first = `${join(dir, "app", "pipelines.yml")}:7`;
  const second = `${join(dir, "pipelines.yml")}:2`;
  assert.ok(twice.stderr.includes(`${second}:3  pipelines.release: pipeline "release" is declared twice: in ${first} and in ${second}`), twice.stderr);

  const json = await spire(["validate", "--json", "-f", dir], { data: join(root, "data") });
  assert.equal(json.code, 2);
  assert.equal((JSON.parse(json.stdout) as { errors: unknown[] }).errors.length, 1);

  const engine = await spire(["engine", "--listen", "127.0.0.1:0", "-f", dir], { data: join(root, "data") });
  assert.equal(engine.code, 2, "the engine does not start with either");
  assert.match(engine.stderr, /declared twice/);

  const empty = join(root, "empty");
  mkdirSync(empty);
  const none = await spire(["validate", "-f", empty], { data: join(root, "data") });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no pipelines\.yml or pipelines\.yaml in this folder or below it/);
});

test("spire engine -f FOLDER applies each pipelines.yml below it", async (t) => {
  const root = tempDir(t);
  const data = join(root, "data");
  const engine = await startEngine(t, data, ["-f", project(root)]);
  try {
    const listed = await spire(["ls", "--json"], { data });
    assert.equal(listed.code, 0, listed.stderr);
    const names = (JSON.parse(listed.stdout) as { name: string }[]).map((each) => each.name).sort();
    assert.deepEqual(names, ["deep", "linked", "release"]);
  } finally {
    await stopEngine(engine);
  }
});
