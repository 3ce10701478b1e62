import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SpareRunFolders } from "../../src/engine/artifacts/spare-run-folders.js";
import { tempDir } from "../helpers/tmp.js";

const spareCount = (data: string) => readdirSync(join(data, "runs", ".spare")).length;

/** An engine's spares in a new data folder, all eight made (removed at the test's end). */
async function primedSpares(t: TestContext): Promise<{ data: string; spares: SpareRunFolders }> {
  const data = tempDir(t);
  const spares = new SpareRunFolders(data);
  t.after(() => spares.stop());
  spares.prime();
  await spares.refilled();
  assert.equal(spareCount(data), 8);
  return { data, spares };
}

const mode = (path: string) => statSync(path).mode & 0o777;

test("a spare becomes the run's folder, with its log folder and the first task's artifact folder, all 0700; spares are made again at half the stock", async (t) => {
  const { data, spares } = await primedSpares(t);
  const run = join(data, "runs", "r1");
  // Spares made long ago: the run's folder is dated when it is put in place (retention leaves new folders alone).
  const old = new Date(Date.now() - 3_600_000);
  for (const spare of readdirSync(join(data, "runs", ".spare"))) utimesSync(join(data, "runs", ".spare", spare), old, old);
  assert.equal(spares.take(run, join(run, "artifacts", "build"), join(run, "tasks")), true);
  assert.ok(Date.now() - statSync(run).mtimeMs < 60_000, "the run's folder is new");
  assert.deepEqual(readdirSync(run).sort(), ["artifacts", "tasks"]);
  assert.deepEqual(readdirSync(join(run, "artifacts")), ["build"], "the placeholder became the task's folder");
  for (const folder of [run, join(run, "tasks"), join(run, "artifacts"), join(run, "artifacts", "build")]) assert.equal(mode(folder), 0o700, folder);
  assert.equal(spares.refilling, false, "seven left: none due");
  assert.equal(spareCount(data), 7);
  for (const name of ["r1b", "r1c"]) assert.equal(spares.take(join(data, "runs", name), join(data, "runs", name, "artifacts", "a"), join(data, "runs", name, "tasks")), true);
  assert.equal(spares.refilling, false, "five left: none due");
  assert.equal(spares.take(join(data, "runs", "r1d"), join(data, "runs", "r1d", "artifacts", "a"), join(data, "runs", "r1d", "tasks")), true);
  assert.equal(spares.refilling, true, "four left: more due");
  await spares.refilled();
  assert.equal(spareCount(data), 8, "four left: made up to eight again");
});

test("a group's task gets its parents, and no placeholder stays behind", async (t) => {
  const { data, spares } = await primedSpares(t);
  const run = join(data, "runs", "r2");
  assert.equal(spares.take(run, join(run, "artifacts", "g", "t"), join(run, "tasks", "g")), true);
  assert.deepEqual(readdirSync(join(run, "artifacts")), ["g"]);
  assert.deepEqual(readdirSync(join(run, "artifacts", "g")), ["t"]);
  assert.ok(existsSync(join(run, "tasks", "g")));
});

test("no spare, or a run that has its folder already: false, and the spare is kept", async (t) => {
  const data = tempDir(t);
  const spares = new SpareRunFolders(data);
  t.after(() => spares.stop());
  const run = join(data, "runs", "r3");
  assert.equal(spares.take(run, join(run, "artifacts", "a"), join(run, "tasks")), false, "none made yet");
  await spares.refilled();
  assert.equal(spareCount(data), 8, "the take asked for spares");
  mkdirSync(join(run, "tasks"), { recursive: true });
  writeFileSync(join(run, "tasks", "a.1.log"), "");
  assert.equal(spares.take(run, join(run, "artifacts", "a"), join(run, "tasks")), false);
  assert.deepEqual(readdirSync(join(run, "tasks")), ["a.1.log"], "the run's own folder is left as it was");
  assert.equal(spareCount(data), 8);
});

test("stop removes this process's spares; the next process removes those of one that is gone, even when its pid is another process's now", async (t) => {
  const data = tempDir(t);
  const gone = join(data, "runs", ".spare", "999999999.1");
  mkdirSync(join(gone, "tasks"), { recursive: true });
  // pid 1 lives, but one engine a data folder: spares not this process's are left by one that is gone.
  const reused = join(data, "runs", ".spare", "1.3");
  mkdirSync(join(reused, "tasks"), { recursive: true });
  const spares = new SpareRunFolders(data);
  spares.prime();
  await spares.refilled();
  assert.equal(spareCount(data), 8);
  assert.equal(existsSync(gone), false);
  assert.equal(existsSync(reused), false);
  spares.stop();
  assert.equal(existsSync(join(data, "runs", ".spare")), false);
});
