/**
 * `spire run NAME` with an engine running, in a folder whose spire.yaml
 * defines NAME: the folder's pipeline is meant. The engine's NAME of another
 * namespace is not run in its place: the command refuses, says which is
 * which, and what to type for either. Once the file is applied, or when it is
 * the engine's own file, NAME runs as it always did.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

const ENGINE_FILE = `namespace: team\npipelines:\n  report:\n    tasks:\n      a: { run: echo team report }\n  solo:\n    tasks:\n      a: { run: echo solo }\n`;
const FOLDER_FILE = `namespace: notes\npipelines:\n  report:\n    tasks:\n      a: { run: echo notes report }\n  tidy:\n    tasks:\n      a: { run: echo tidy }\n`;

/** A folder with no definitions file, the data folder in it, and two folders for definitions files: team's (the engine's) and notes' (this folder's). */
function folders(t: TestContext): { dir: string; data: string; teamDir: string; notesDir: string } {
  const dir = tempDir(t);
  const teamDir = join(dir, "team");
  const notesDir = join(dir, "notes");
  mkdirSync(teamDir);
  mkdirSync(notesDir);
  return { dir, data: join(dir, "data"), teamDir, notesDir };
}

async function runs(data: string): Promise<string[]> {
  const listed = JSON.parse((await spire(["runs", "--json"], { data })).stdout) as { namespace: string; pipeline: string }[];
  return listed.map((run) => `${run.namespace}/${run.pipeline}`);
}

test("spire run NAME on the engine: this folder's spire.yaml defines NAME in another namespace, so it refuses instead of running the engine's", async (t) => {
  const { dir, data, teamDir, notesDir } = folders(t);
  const engine = await startEngine(t, data, ["-f", pipelineFile(teamDir, ENGINE_FILE)]);
  pipelineFile(notesDir, FOLDER_FILE);

  const refused = await spire(["run", "report"], { data, cwd: notesDir });
  assert.equal(refused.code, 2, `${refused.stdout}\n${refused.stderr}`);
  assert.match(refused.stderr, /^spire: spire\.yaml here defines report \(notes\/report\), which the running engine does not have: its report is team\/report\n/);
  assert.match(refused.stderr, /spire apply, then spire run report/);
  assert.match(refused.stderr, /spire run -f spire\.yaml report/);
  assert.match(refused.stderr, /To run the engine's, name it in full: spire run team\/report/);
  assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
  assert.deepEqual(await runs(data), [], "nothing ran");

  // The hints work as said: the full name runs the engine's; spire run with no name names the file's pipelines.
  const full = await spire(["run", "team/report", "--json"], { data, cwd: notesDir });
  assert.equal(full.code, 0, full.stderr);
  assert.equal(JSON.parse(full.stdout).namespace, "team");
  const which = await spire(["run"], { data, cwd: notesDir });
  assert.equal(which.code, 2);
  assert.match(which.stderr, /which pipeline\?\nspire\.yaml here has report, tidy: spire run -f spire\.yaml report applies it to the engine and runs report/);

  // A name the file does not define is the engine's, as before.
  const solo = await spire(["run", "solo", "--json"], { data, cwd: notesDir });
  assert.equal(solo.code, 0, solo.stderr);
  assert.equal(JSON.parse(solo.stdout).namespace, "team");

  // Applied (the hint's spire apply, with no -f), the folder's report is the one run.
  const applied = await spire(["apply"], { data, cwd: notesDir });
  assert.equal(applied.code, 0, applied.stderr);
  const ours = await spire(["run", "report", "--json"], { data, cwd: notesDir });
  assert.equal(ours.code, 0, ours.stderr);
  assert.equal(JSON.parse(ours.stdout).namespace, "notes");

  // In the engine's own file's folder, report is team/report although notes has one too; with no file here it is ambiguous, as before.
  const teams = await spire(["run", "report", "--json"], { data, cwd: teamDir });
  assert.equal(teams.code, 0, teams.stderr);
  assert.equal(JSON.parse(teams.stdout).namespace, "team");
  const nowhere = await spire(["run", "report"], { data, cwd: dir });
  assert.equal(nowhere.code, 2);
  assert.match(nowhere.stderr, /report is in several namespaces/);

  assert.deepEqual((await runs(data)).sort(), ["notes/report", "team/report", "team/report", "team/solo"]);
  await stopEngine(engine);
});

test("spire run NAME on the engine: a spire.yaml here that defines NAME but was never applied is said, with how to apply it", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data);
  pipelineFile(dir, FOLDER_FILE);
  const refused = await spire(["run", "tidy"], { data, cwd: dir });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^spire: spire\.yaml here defines tidy \(notes\/tidy\), which the running engine does not have\n/);
  assert.match(refused.stderr, /spire apply, then spire run tidy \(or both at once: spire run -f spire\.yaml tidy\)/);
  await stopEngine(engine);
});

test("spire run NS/NAME with no engine, in a folder with a spire.yaml: this file's pipeline when NS is its namespace, else the one applied before", async (t) => {
  const { data, teamDir, notesDir } = folders(t);
  assert.equal((await spire(["apply", "-f", pipelineFile(teamDir, ENGINE_FILE)], { data })).code, 0);
  pipelineFile(notesDir, FOLDER_FILE);

  const ours = await spire(["run", "notes/tidy"], { data, cwd: notesDir });
  assert.equal(ours.code, 0, `${ours.stdout}\n${ours.stderr}`);
  const theirs = await spire(["run", "team/solo"], { data, cwd: notesDir });
  assert.equal(theirs.code, 0, `${theirs.stdout}\n${theirs.stderr}`);
  assert.deepEqual((await runs(data)).sort(), ["notes/tidy", "team/solo"]);
});
