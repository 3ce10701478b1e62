/**
 * One way to write a time in human output: this machine's zone with its
 * offset, or UTC with --utc; --json keeps ISO 8601.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile } from "../helpers/engine.js";

checkNoLeftoverProcesses();

test("runs, show, logs -t and ls show local time with its offset, or UTC with --utc; --json gives ISO 8601", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const file = pipelineFile(dir, "pipelines:\n  tick:\n    triggers: [{ cron: '0 3 * * *' }]\n    tasks:\n      say: { run: echo hi }\n");
  // A zone with a half-hour offset and no DST: its offset is the same all year.
  const env = { TZ: "Asia/Kolkata" };
  assert.equal((await spire(["run", "-f", file], { data, env })).code, 0);
  const local = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})?\+05:30/;
  const utc = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})?Z/;
  for (const args of [["runs"], ["show", "last"], ["logs", "last", "-t"]]) {
    const shown = await spire(args, { data, env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, local, `${args.join(" ")}: local time with its offset`);
    assert.doesNotMatch(shown.stdout, /\d\dT\d\d:\d\d/, `${args.join(" ")}: no ISO 8601 in human output`);
    const inUtc = await spire(["--utc", ...args], { data, env });
    assert.match(inUtc.stdout, utc, `${args.join(" ")} --utc`);
    assert.doesNotMatch(inUtc.stdout, local, `${args.join(" ")} --utc`);
  }
  const json = JSON.parse((await spire(["runs", "--json"], { data, env })).stdout) as { created_at: string }[];
  assert.match(json[0]!.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, "--json: ISO 8601");
  const next = await spire(["next", "0 3 * * *", "-n", "1"], { data, env });
  assert.match(next.stdout, /\n {2}\d{4}-\d\d-\d\d 03:00:00\+05:30\n/, "spire next: the zone's own time, in the same format");
});
