/** Two files that use one namespace: the second apply says that it joins the first file's pipelines (or, with --prune, removes them). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("applying a second file to a namespace another file made warns, naming the file and the pipelines it leaves or removes", async (t) => {
  const data = tempDir(t);
  const write = (folder: string, names: string[]) => {
    mkdirSync(join(data, folder));
    const file = join(data, folder, "spire.yaml");
    writeFileSync(file, `namespace: mine\npipelines:\n${names.map((name) => `  ${name}:\n    tasks:\n      t: { run: 'true' }\n`).join("")}`);
    return file;
  };
  const first = write("a", ["nightly", "slow"]);
  const second = write("b", ["other"]);
  const made = await spire(["apply", "-f", first], { data });
  assert.doesNotMatch(made.stderr + made.stdout, /warning/);
  const again = await spire(["apply", "-f", first], { data });
  assert.doesNotMatch(again.stderr + again.stdout, /warning/, "the same file again: nothing to say");
  const pruned = await spire(["apply", "-f", second, "--prune", "--dry-run"], { data });
  assert.match(pruned.stdout + pruned.stderr, new RegExp(`warning: namespace: the namespace was last applied from ${first.replaceAll("/", "\\/")}: its pipelines this file does not have \\(nightly, slow\\) are removed`));
  const joined = await spire(["apply", "-f", second], { data });
  assert.equal(joined.code, 0, joined.stderr);
  assert.match(joined.stdout + joined.stderr, /this file's pipelines join its nightly, slow, which stay — give each file a namespace of its own/);
});
