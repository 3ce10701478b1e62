/**
 * `watch` triggers through the real engine: real files, real inotify (via
 * chokidar), real runs. Bursts of changes are debounced into one run; paths
 * that appear later are picked up; paused pipelines and paths no longer
 * watched start nothing; a pipeline writing into its own watched folder
 * does not fire itself.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { admin, finishedRuns, quietFor, runsOf, triggerEngine } from "./trigger-harness.js";

checkNoLeftoverProcesses();

// A burst's writes are DEBOUNCE_MS / 30 apart: a busy machine may stretch a gap tenfold and the burst still holds.
const DEBOUNCE_MS = 300;
/** Long enough that a run the debounce would start has been made: several debounces. */
const NOTHING_MORE_MS = DEBOUNCE_MS * 5;

const watching = (paths: string, extra = "") =>
  `pipelines:\n  inbox:\n    args: { who: { default: nobody } }\n    triggers:\n      - watch: ${paths}\n        debounce: ${DEBOUNCE_MS}ms\n        args: { who: watcher }${extra}\n    tasks:\n      t: { run: "true" }\n`;

/** Writes files one after another, closer together than the debounce. */
async function burst(folder: string, names: string[]): Promise<void> {
  for (const name of names) {
    writeFileSync(join(folder, name), name);
    await quietFor(DEBOUNCE_MS / 30);
  }
}

test("a watch trigger fires once per debounced burst", async (t) => {
  const { store, defs } = await triggerEngine(t, watching("./inbox"), { folders: ["inbox/sub"] });
  const inbox = join(defs, "inbox");
  const first = Array.from({ length: 10 }, (_, i) => (i % 2 ? `sub/f${i}` : `f${i}`));
  await burst(inbox, first);
  const [run] = await finishedRuns(store, "t", "inbox", 1);
  await quietFor(NOTHING_MORE_MS);
  assert.equal((await runsOf(store, "t", "inbox")).length, 1, "ten changes in one burst start one run");
  assert.equal(run!.state, "succeeded");
  assert.equal(run!.trigger.kind, "watch");
  assert.equal(run!.trigger.trigger_key, "0:watch");
  assert.deepEqual(run!.trigger.paths, first.map((name) => join(inbox, name)).sort(), "the trigger names every changed path, also in subfolders");
  assert.equal(run!.trigger.changed, 10);
  assert.equal(run!.args.who, "watcher", "the trigger's own args");

  await burst(inbox, ["f0", "g"]);
  const runs = await finishedRuns(store, "t", "inbox", 2);
  await quietFor(NOTHING_MORE_MS);
  assert.equal((await runsOf(store, "t", "inbox")).length, 2, "a second burst starts a second run");
  assert.deepEqual(runs[1]!.trigger.paths, [join(inbox, "f0"), join(inbox, "g")]);
});

test("a watched path that does not exist yet is picked up when it appears; beside it nothing counts", async (t) => {
  const { store, defs, warnings } = await triggerEngine(t, watching("[./later/deep/flag.txt]"));
  const flag = join(defs, "later", "deep", "flag.txt");
  assert.ok(
    warnings.some((w) => w.message.includes("does not exist yet") && (w.details as { path?: string }).path === flag),
    "the engine log says the path is missing",
  );
  mkdirSync(join(defs, "later", "deep"), { recursive: true });
  writeFileSync(join(defs, "later", "deep", "other.txt"), "not watched");
  await quietFor(NOTHING_MORE_MS);
  assert.equal((await runsOf(store, "t", "inbox")).length, 0, "folders on the way and a sibling file start nothing");
  writeFileSync(flag, "now");
  const [run] = await finishedRuns(store, "t", "inbox", 1);
  assert.deepEqual(run!.trigger.paths, [flag]);
});

test("a paused pipeline's watch does not fire; resume arms it again", async (t) => {
  const { engine, store, defs } = await triggerEngine(t, watching("./inbox"), { folders: ["inbox"] });
  const inbox = join(defs, "inbox");
  await engine.setPaused(admin, "t", "inbox", true);
  writeFileSync(join(inbox, "while-paused"), "x");
  await quietFor(NOTHING_MORE_MS);
  assert.equal((await runsOf(store, "t", "inbox")).length, 0, "no run while paused");
  await engine.setPaused(admin, "t", "inbox", false);
  writeFileSync(join(inbox, "after-resume"), "x");
  const [run] = await finishedRuns(store, "t", "inbox", 1);
  assert.deepEqual(run!.trigger.paths, [join(inbox, "after-resume")], "what changed while paused is not carried over");
});

test("apply re-arms: a changed path fires, the old one no longer does; a trigger's start bound holds it", async (t) => {
  const { store, defs, apply } = await triggerEngine(t, watching("./old"), { folders: ["old", "new", "future"] });
  await apply(watching("./new") + `  later:\n    triggers:\n      - watch: ./future\n        debounce: ${DEBOUNCE_MS}ms\n        start: "2999-01-01T00:00:00Z"\n    tasks:\n      t: { run: "true" }\n`);
  writeFileSync(join(defs, "old", "a"), "x");
  writeFileSync(join(defs, "future", "a"), "x");
  await quietFor(NOTHING_MORE_MS);
  assert.equal((await runsOf(store, "t", "inbox")).length, 0, "the path no longer watched starts nothing");
  assert.equal((await runsOf(store, "t", "later")).length, 0, "a trigger whose window has not begun starts nothing");
  writeFileSync(join(defs, "new", "b"), "x");
  const [run] = await finishedRuns(store, "t", "inbox", 1);
  assert.deepEqual(run!.trigger.paths, [join(defs, "new", "b")]);
});

test("a pipeline whose task writes into its watched folder runs once per outside change, not in a loop", async (t) => {
  // Each run writes two new files there: one as it starts, one as its last act (seen after the run has ended).
  const yaml = `pipelines:\n  inbox:\n    triggers:\n      - watch: ./inbox\n        debounce: ${DEBOUNCE_MS}ms\n    tasks:\n      t: { run: 'echo started > "begin-$SPIRE_RUN_ID"; sleep 0.3; echo done > "end-$SPIRE_RUN_ID"', cwd: ./inbox }\n`;
  const { store, defs } = await triggerEngine(t, yaml, { folders: ["inbox"] });
  const inbox = join(defs, "inbox");
  writeFileSync(join(inbox, "outside-1"), "x");
  const [first] = await finishedRuns(store, "t", "inbox", 1);
  assert.deepEqual(first!.trigger.paths, [join(inbox, "outside-1")]);
  // The run has ended: with the loop, its own two files would start the next run within one debounce.
  // No event marks "no run was made", so wait several debounces past the settling time after the run.
  await quietFor(NOTHING_MORE_MS);
  assert.equal((await runsOf(store, "t", "inbox")).length, 1, "the run's own writes start no run");

  writeFileSync(join(inbox, "outside-2"), "x");
  const runs = await finishedRuns(store, "t", "inbox", 2);
  assert.deepEqual(runs[1]!.trigger.paths, [join(inbox, "outside-2")], "a later outside change fires, and only it is named");
  await quietFor(NOTHING_MORE_MS);
  assert.equal((await runsOf(store, "t", "inbox")).length, 2, "and its run's writes start nothing either");
});
