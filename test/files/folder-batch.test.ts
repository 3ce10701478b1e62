/**
 * Folders made in one trip through the thread pool (native/folders.c,
 * files/folder-batch.ts), on the real file system.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFolderBatch, makeFolderTrees } from "../../src/files/folder-batch.js";
import { loadAddon } from "../../src/native/addon.js";
import { tempDir } from "../helpers/tmp.js";

test("the addon built here makes folder batches (else the engine makes them one by one, slower)", () => {
  const loaded = loadAddon();
  assert.ok("addon" in loaded, "why" in loaded ? loaded.why : "");
  assert.equal(typeof (loaded.addon as { makeFolders?: unknown }).makeFolders, "function");
});

test("a batch makes each folder private, in order; one already there counts as made", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "b"));
  const paths = ["a", "b", "c", "c/inner"].map((name) => join(dir, name));
  assert.deepEqual(await makeFolderBatch(paths), { made: 4 });
  for (const path of paths) assert.equal(statSync(path).mode & 0o777, path.endsWith("/b") ? statSync(path).mode & 0o777 : 0o700, path);
  assert.deepEqual(await makeFolderBatch([]), { made: 0 });
});

test("a batch stops at the first folder it cannot make and says which, and why", async (t) => {
  const dir = tempDir(t);
  const paths = [join(dir, "one"), join(dir, "missing", "two"), join(dir, "three")];
  const { made, error } = await makeFolderBatch(paths);
  assert.equal(made, 1);
  assert.deepEqual([error?.code, error?.syscall, error?.path], ["ENOENT", "mkdir", paths[1]]);
  assert.throws(() => statSync(paths[2]!), { code: "ENOENT" }, "nothing after the failure is made");
  // A path Node refuses outright (a NUL in it) is a failure of that folder, not a throw.
  const refused = await makeFolderBatch([join(dir, "four"), `${dir}/bad\0name`]);
  assert.equal(refused.made, 1);
  assert.equal(refused.error?.code, "ERR_INVALID_ARG_VALUE");
});

test("folder trees: each folder with the parents it lacks below the root, in one batch; a missing root falls back to making them one by one", async (t) => {
  const root = tempDir(t);
  const run = join(root, "runs", "r1");
  const wanted = [join(run, "artifacts", "group", "task"), join(run, "tasks"), join(root, "..", `outside-${process.pid}`)];
  t.after(() => rmSync(wanted[2]!, { recursive: true, force: true }));
  await makeFolderTrees(root, wanted);
  for (const folder of [...wanted, join(root, "runs"), run, join(run, "artifacts"), join(run, "artifacts", "group")]) {
    assert.equal(statSync(folder).mode & 0o777, 0o700, folder);
  }
  await makeFolderTrees(root, wanted); // all there: nothing to do, no error
  // The root itself missing: the batch stops at once, and each folder is made with its parents all the same.
  const gone = join(root, "not-yet", "deeper");
  await makeFolderTrees(gone, [join(gone, "a", "b")]);
  assert.ok(statSync(join(gone, "a", "b")).isDirectory());
  // What cannot be made at all is thrown: here a file stands where a folder should be.
  writeFileSync(join(root, "file"), "");
  await assert.rejects(makeFolderTrees(root, [join(root, "file", "inside")]), { code: "ENOTDIR" });
});
