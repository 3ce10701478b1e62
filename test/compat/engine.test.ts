/**
 * prunner and Gator files through a running engine: `spire engine -f` and
 * `spire apply` take them as they are; partitioned_replace keeps one
 * waiting place per partition (the partition comes with the run request).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { FIXTURES } from "../definitions/fixtures.js";

checkNoLeftoverProcesses();

async function detach(data: string, args: string[]): Promise<string> {
  const result = await spire(["run", ...args, "--detach"], { data });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result.stdout.trim();
}

test("partitioned_replace: a newer run takes the waiting place of its own partition only", async (t) => {
  const data = tempDir(t);
  const file = join(data, "pipelines.yml");
  // Each run waits for the file `go` (beside pipelines.yml, its working folder): the test decides when runs end.
  const body = ["pipelines:", "  work:", "    concurrency: 1", "    queue_strategy: partitioned_replace", "    queue_partition_limit: 1", "    tasks:", "      t:", "        script: ['while [ ! -e go ]; do sleep 0.05; done']", ""];
  writeFileSync(file, body.join("\n"));
  const engine = await startEngine(t, data);
  try {
    const applied = await spire(["apply", "-f", file], { data });
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.match(applied.stdout, /\+ work/);

    const running = await detach(data, ["work", "--partition", "a"]);
    assert.equal((await waitForState(data, running, "running")).state, "running");
    const firstA = await detach(data, ["work", "--partition", "a"]);
    const onlyB = await detach(data, ["work", "--partition", "b"]);
    const secondA = await detach(data, ["work", "--partition", "a"]);
    assert.equal((await waitForState(data, firstA, "skipped")).state, "skipped", "the newer run of partition a took its place");
    assert.equal((await waitForState(data, onlyB, "queued")).state, "queued", "partition b keeps its own place");
    assert.equal((await waitForState(data, secondA, "queued")).state, "queued");

    writeFileSync(join(data, "go"), "");
    for (const id of [running, onlyB, secondA]) assert.equal((await waitForState(data, id, "succeeded")).state, "succeeded", id);
  } finally {
    writeFileSync(join(data, "go"), "");
    await stopEngine(engine);
  }
});

test("spire engine -f takes a Gator file, and a job that cannot start ends with 255 there too", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["-f", join(FIXTURES, "compat", "gator", "job_sequence.yaml")]);
  const run = await spire(["run", "test_sequence", "--json"], { data });
  assert.equal(run.code, 1, run.stderr);
  const shown = JSON.parse(run.stdout) as { tasks: { path: string; state: string; exit_code: number | null }[] };
  assert.deepEqual(
    shown.tasks.map((task) => [task.path, task.state, task.exit_code]),
    [
      ["job_a", "failed", 255],
      ["job_b", "skipped", null],
      ["job_c", "skipped", null],
    ],
  );
  await stopEngine(engine);
});

test("spire apply of a broken prunner file says where, in the original file, and applies nothing", async (t) => {
  const data = tempDir(t);
  const file = join(data, "pipelines.yml");
  writeFileSync(file, "pipelines:\n  p:\n    tasks:\n      a:\n        script: [echo a]\n        depends_on: [b]\n");
  const engine = await startEngine(t, data);
  const applied = await spire(["apply", "-f", file], { data });
  assert.equal(applied.code, 2);
  assert.match(applied.stdout + applied.stderr, /pipelines\.yml:6:22 {2}pipelines\.p\.tasks\.a\.depends_on\[0\]: missing task "b" referenced in depends_on of task "a"/);
  const listed = await spire(["ls", "--json"], { data });
  assert.deepEqual(JSON.parse(listed.stdout), []);
  await stopEngine(engine);
});
