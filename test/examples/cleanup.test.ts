/** examples/cleanup.yaml: a dry run lists the old files and deletes nothing; a real run deletes only the files older than the days given. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { recipePath } from "../helpers/recipe.js";

checkNoLeftoverProcesses();

const RECIPE = recipePath("cleanup.yaml");

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

test("the cleanup recipe lists old files in a dry run, then deletes only them", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const scratch = join(dir, "scratch");
  mkdirSync(join(scratch, "nested"), { recursive: true });
  const old = ["old.txt", "nested/old two.log", "-rf"];
  const fresh = ["new.txt", "nested/eight-days-is-old-six-is-not.txt"];
  for (const name of [...old, ...fresh]) writeFileSync(join(scratch, name), name);
  // touch -d, as a person makes old files to try it: ten days for the old ones, six for one of the fresh.
  execFileSync("touch", ["-d", "10 days ago", ...old.map((name) => join(scratch, name))]);
  execFileSync("touch", ["-d", "6 days ago", join(scratch, fresh[1]!)]);

  const dry = await spire(["run", "-f", RECIPE, "--arg", `dir=${scratch}`, "--arg", "days=7", "--arg", "dry_run=true"], { data });
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(filesUnder(scratch), [...old, ...fresh].sort(), "a dry run deletes nothing");
  const listed = (await spire(["logs", "last", "delete"], { data })).stdout;
  for (const name of old) assert.ok(listed.includes(join(scratch, name)), `the dry run lists ${name}:\n${listed}`);
  for (const name of fresh) assert.ok(!listed.includes(join(scratch, name)), `the dry run does not list ${name}`);

  const real = await spire(["run", "-f", RECIPE, "--arg", `dir=${scratch}`, "--arg", "days=7", "--json"], { data });
  assert.equal(real.code, 0, real.stderr);
  assert.deepEqual(filesUnder(scratch), fresh.sort(), "only the old files went");
  assert.ok(existsSync(join(scratch, "nested")), "folders stay");
  assert.equal(JSON.parse(real.stdout).metrics.files.sum, 3);
});

test("the cleanup recipe refuses a folder that is not an absolute path, before anything runs", async (t) => {
  const data = join(tempDir(t), "data");
  const result = await spire(["run", "-f", RECIPE, "--arg", "dir=-delete"], { data });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /argument "dir" must match/);
});
