/**
 * A pipeline name in two namespaces: every command that takes one asks
 * which, with a form that works with that command (NS/NAME; not every
 * command has --ns), and `spire logs last NAME` asks too instead of taking
 * the name for a task.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("a name in two namespaces: show, cancel, next, logs and retry ask which, naming NS/NAME", async (t) => {
  const data = tempDir(t);
  for (const ns of ["home", "work"]) {
    mkdirSync(join(data, ns));
    writeFileSync(join(data, ns, "spire.yaml"), `namespace: ${ns}\npipelines:\n  job:\n    tasks:\n      t: { run: 'true' }\n`);
    assert.equal((await spire(["apply", "-f", join(data, ns, "spire.yaml")], { data })).code, 0);
  }
  assert.equal((await spire(["run", "home/job"], { data })).code, 0);
  for (const args of [["show", "last", "job"], ["cancel", "last", "job"], ["next", "job"], ["logs", "last", "job"], ["retry", "last", "job"]]) {
    const result = await spire(args, { data });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stderr, "spire: job is in several namespaces: home, work\nSay which: home/job or work/job\n", args.join(" "));
  }
  const none = await spire(["show", "last", "work/job"], { data });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /work\/job has no runs yet\nStart one with: spire run work\/job\n/);
});
