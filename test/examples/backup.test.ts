/**
 * examples/backup.yaml: archives of a folder that hold its files, the newest
 * `keep` kept, and a webhook to a local receiver when one fails (and when the
 * next one works again).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { editedRecipe } from "../helpers/recipe.js";
import { listen } from "../notify/helpers.js";

checkNoLeftoverProcesses();

test("the backup recipe archives the folder, keeps the newest, and a failure reaches the webhook", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const source = join(dir, "My Documents");
  const dest = join(dir, "backups");
  mkdirSync(join(source, "letters"), { recursive: true });
  writeFileSync(join(source, "notes.txt"), "dear diary\n");
  writeFileSync(join(source, "letters", "to bob.txt"), "hello bob\n");
  const receiver = await listen(t);
  const recipe = editedRecipe(t, "backup.yaml", { "http://127.0.0.1:8080/spire-backup": receiver.url });
  const backup = (from: string) => spire(["run", "-f", recipe, "--arg", `source=${from}`, "--arg", `dest=${dest}`, "--arg", "keep=2", "--json"], { data });

  for (let i = 0; i < 3; i++) {
    const run = await backup(source);
    assert.equal(run.code, 0, run.stderr);
  }
  const archives = readdirSync(dest).sort();
  assert.equal(archives.length, 2, `keep=2 leaves two archives: ${archives.join(", ")}`);
  for (const name of archives) assert.match(name, /^My Documents-\d{8}-\d{6}-\w+\.tar\.gz$/);
  const unpacked = join(dir, "unpacked");
  mkdirSync(unpacked);
  execFileSync("tar", ["-xzf", join(dest, archives[1]!), "-C", unpacked]);
  assert.equal(readFileSync(join(unpacked, "My Documents", "letters", "to bob.txt"), "utf8"), "hello bob\n");
  assert.equal(readFileSync(join(unpacked, "My Documents", "notes.txt"), "utf8"), "dear diary\n");
  assert.match((await spire(["logs", "last", "verify"], { data })).stdout, /4 entries in .*My Documents-/);
  assert.equal(receiver.received.length, 0, "a backup that works sends nothing");

  const failed = await backup(join(dir, "no such folder"));
  assert.equal(failed.code, 1);
  assert.equal(JSON.parse(failed.stdout).state, "failed");
  await until(() => receiver.received.length === 1, "the failure notification");
  assert.equal(receiver.received[0]!.body.event, "failure");
  assert.match(receiver.received[0]!.body.text, /^backup\/backup failed .*archive exited 1/);
  assert.deepEqual(readdirSync(dest).sort(), archives, "a failed backup leaves the archives as they were, and no partial file");

  assert.equal((await backup(source)).code, 0);
  await until(() => receiver.received.length === 2, "the recovered notification");
  assert.equal(receiver.received[1]!.body.event, "recovered");
});
