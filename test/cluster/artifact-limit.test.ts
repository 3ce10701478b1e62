/**
 * The run's artifact limit (spire engine --artifact-limit) holds for the run
 * as a whole when its artifacts go through several engines on one
 * PostgreSQL. A run made through A keeps a file there, is handed to B for a
 * task that needs B's worker (whose upload goes through B), and ends with a
 * task on B's own machine. Each engine used to count only what it held
 * itself, and a worker's uploads not at all: the run put past its limit
 * into the database.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiGet, apiStartRun, stopEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { connectWorker, engineIdOf, engineStarter } from "./shared-store.js";

checkNoLeftoverProcesses();

test("a run's artifacts through two engines and a worker stay within --artifact-limit, all its tasks together; what is refused says why in its task's log", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-artifact-limit-");
  const file = join(dir, "spire.yaml");
  // 1000 bytes for the run: prepare's file (400, on A) and train's first (300, on B's worker) fit, nothing after them does. Each
  // of train's second file and publish's (400) fits beside what B holds itself: counting only that, the run would pass its limit.
  writeFileSync(
    file,
    `namespace: far
pipelines:
  big:
    tasks:
      prepare: { run: "head -c 400 /dev/zero > a.bin", artifacts: [a.bin] }
      # Between them: train does not read prepare's files, so B never fetches them.
      check: { needs: [prepare], run: "true" }
      train:
        runs_on: [gpu]
        needs: [check]
        run: "head -c 300 /dev/zero > b1.bin && head -c 400 /dev/zero > b2.bin"
        artifacts: ["b*.bin"]
      publish:
        needs: [train]
        run: "head -c 400 /dev/zero > c.bin"
        artifacts: [c.bin]
`,
  );
  // Heartbeats every 500 ms: a hand-over is looked for at each.
  const { start, said } = engineStarter(t, { dir, schema, file, extra: ["--rescue-after", "3s", "--artifact-limit", "1000"] });
  const a = await start("a");
  const b = await start("b");
  const worker = await connectWorker(t, b, dir);

  const id = await apiStartRun(a, "far/big");
  const ended = async () => (await rowsIn(schema, "SELECT state, owner FROM runs WHERE id = $1", [id]))[0] as { state: string; owner: string } | undefined;
  await until(async () => !["queued", "running"].includes((await ended())?.state ?? "queued"), `run ${id} to end\n${said()}`, 40_000);
  const run = (await ended())!;
  assert.equal(run.state, "succeeded", said());
  assert.equal(run.owner, engineIdOf(b), "the run was handed to B, whose worker ran train");
  const [prepare] = await rowsIn(schema, "SELECT worker FROM task_runs WHERE run_id = $1 AND path = 'prepare'", [id]);
  const [train] = await rowsIn(schema, "SELECT worker FROM task_runs WHERE run_id = $1 AND path = 'train'", [id]);
  assert.notEqual(prepare?.worker, "gpu-box", "prepare ran on A's machine");
  assert.equal(train?.worker, "gpu-box");

  // In the database: what fits, in the order the tasks ran.
  const files = await rowsIn(schema, "SELECT task, name, size::int FROM artifact_files WHERE run_id = $1 ORDER BY task, name", [id]);
  const total = files.reduce((sum, row) => sum + Number(row.size), 0);
  assert.ok(total <= 1000, `the run's artifacts take ${total} bytes in the database, past its limit of 1000: ${JSON.stringify(files)}`);
  assert.deepEqual(files, [
    { task: "prepare", name: "a.bin", size: 400 },
    { task: "train", name: "b1.bin", size: 300 },
  ]);

  // Each engine lists the same: a task's folder made ahead on an engine where it then did not run (A made train's and
  // publish's before the hand-over) holds nothing, and the store's copies say what such a task kept.
  for (const engine of [a, b]) {
    const listed = await apiGet<{ artifacts: { task: string; name: string; size: number }[] }>(engine, `/runs/${id}/artifacts`);
    assert.deepEqual(
      listed.artifacts.map(({ task, name, size }) => ({ task, name, size })),
      [
        { task: "prepare", name: "a.bin", size: 400 },
        { task: "train", name: "b1.bin", size: 300 },
      ],
      `${engine.data}: the run's artifacts as listed`,
    );
    const token = readFileSync(join(engine.data, "token"), "utf8").trim();
    const download = await fetch(`${engine.url}/api/v1/runs/${id}/artifacts/train/b1.bin`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(download.status, 200, `${engine.data}: train's file`);
    assert.equal((await download.arrayBuffer()).byteLength, 300);
  }

  // What was refused is said in its task's log: which file, the limit, the flag, and what the run keeps.
  const logOf = async (task: string) => {
    const logs = await spire(["logs", id, task], { data: a.data });
    return logs.stdout + logs.stderr;
  };
  assert.match(await logOf("train"), /spire: artifacts: b2\.bin not kept: the run's artifacts would pass the limit of 1000 B \(spire engine --artifact-limit\): run \S+ keeps 700 B already, all its tasks together/);
  assert.match(await logOf("publish"), /spire: artifacts: 1 file not kept \(c\.bin\): the run's artifacts would pass the limit of 1000 B \(spire engine --artifact-limit\): run \S+ keeps 700 B already, all its tasks together/);

  await worker.stop();
  await Promise.all([stopEngine(a), stopEngine(b)]);
});
