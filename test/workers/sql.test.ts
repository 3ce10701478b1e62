/**
 * An `sql:` task sent to a worker with runs_on runs there, through the
 * worker's own driver: a relative SQLite path is in the worker's work
 * folder, the statements of a file come from the engine, the log and the
 * outputs come back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { skipWithoutNetns } from "../helpers/netns.js";
import { tempDir } from "../helpers/tmp.js";
import { logOf, connected, runToEnd, startCluster } from "./cluster.js";

const skip = skipWithoutNetns();
if (skip) console.log(`# skipped: ${skip}`);

test("an sql task with runs_on runs on the worker: its SQLite file in the worker's work folder, its outputs and log back at the engine", { skip }, async (t) => {
  const files = tempDir(t);
  const statements = join(files, "count.sql");
  writeFileSync(statements, "CREATE TABLE IF NOT EXISTS seen (at text);\nINSERT INTO seen VALUES (:at);\nSELECT count(*) AS seen FROM seen;\n");
  const cluster = await startCluster(
    t,
    ["box"],
    `pipelines:
  count:
    tasks:
      remote:
        runs_on: box
        sql: { url: "sqlite:box.db", file: "${statements}", params: { at: "\${{ run.id }}" } }
`,
  );
  const work = join(cluster.dir, "box-work");
  mkdirSync(work);
  const box = cluster.worker("box", ["--labels", "box", "--workdir", work]);
  await connected(cluster, "box");
  const run = await runToEnd(cluster, "count");
  const task = run.tasks.find((each) => each.path === "remote")!;
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  assert.equal(task.worker, "box");
  assert.deepEqual(task.outputs, { seen: "1", value: "1" });
  assert.ok(existsSync(join(work, "box.db")), "the database is in the worker's work folder");
  const log = await logOf(cluster, run.id, "remote");
  assert.ok(log.includes(`connecting to sqlite:${join(work, "box.db")}`), log.join("\n"));
  assert.ok(log.includes(`3 statements from ${statements}, in one transaction`), log.join("\n"));
  await cluster.shutdown([box]);
});
