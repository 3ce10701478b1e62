/** Listing a task's folder: regular files only, by name; an empty, missing or linked folder lists nothing. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { folderBytes, listFiles } from "../../src/files/folder-files.js";
import { tempDir } from "../helpers/tmp.js";

test("an empty folder, a missing one and a file in its place list nothing", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "empty"));
  writeFileSync(join(dir, "file"), "x");
  assert.deepEqual(await listFiles(join(dir, "empty")), []);
  assert.deepEqual(await listFiles(join(dir, "missing")), []);
  assert.deepEqual(await listFiles(join(dir, "file")), []);
  assert.equal(await folderBytes(join(dir, "missing")), 0);
});

test("regular files are listed by name with their sizes, nested ones by their path; links are not followed", async (t) => {
  const dir = tempDir(t);
  const folder = join(dir, "out");
  mkdirSync(join(folder, "sub"), { recursive: true });
  writeFileSync(join(folder, "b.txt"), "bb");
  writeFileSync(join(folder, "sub", "a.txt"), "a");
  writeFileSync(join(dir, "secret"), "outside");
  symlinkSync(join(dir, "secret"), join(folder, "link"));
  assert.deepEqual(
    (await listFiles(folder)).map(({ name, size }) => [name, size]),
    [["b.txt", 2], ["sub/a.txt", 1]],
  );
  assert.equal(await folderBytes(folder), 3);
  // A folder that is itself a link lists nothing, full or empty.
  symlinkSync(folder, join(dir, "linked"));
  assert.deepEqual(await listFiles(join(dir, "linked")), []);
});
