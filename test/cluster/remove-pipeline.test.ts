/**
 * A pipeline removed (or its `spire watch` lease lapsed) through one engine
 * among engines sharing PostgreSQL: its runs waiting on another engine are
 * canceled there too. Only the engine asked used to cancel them, and the
 * runs queued on the others started later, for a pipeline that was gone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiStartRun, stopEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { engineStarter } from "./shared-store.js";

checkNoLeftoverProcesses();

test("a pipeline removed through one engine: its run queued on another is canceled there, the one running ends as it will", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-remove-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `namespace: r\npipelines:\n  one-at-a-time:\n    concurrency: 1\n    tasks:\n      t: { run: "sleep 2" }\n`);
  const { start, said } = engineStarter(t, { dir, schema, file });
  const a = await start("a");
  const b = await start("b");
  const stateOf = async (id: string) => (await rowsIn(schema, "SELECT state, reason FROM runs WHERE id = $1", [id]))[0] as { state: string; reason: string | null };

  const running = await apiStartRun(a, "r/one-at-a-time");
  await until(async () => (await stateOf(running)).state === "running", "the first run to run", 10_000);
  const queued = await apiStartRun(a, "r/one-at-a-time");
  assert.equal((await stateOf(queued)).state, "queued", "the second waits for the first (concurrency 1)");

  const token = readFileSync(join(b.data, "token"), "utf8").trim();
  const removed = await fetch(`${b.url}/api/v1/pipelines/r/one-at-a-time`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
  assert.equal(removed.status, 204, await removed.text());
  await until(async () => (await stateOf(queued)).state === "canceled", `the run queued on A to be canceled\n${said()}`, 10_000);
  assert.equal((await stateOf(queued)).reason, "canceled: its pipeline was removed");
  await until(async () => (await stateOf(running)).state === "succeeded", "the running one to end as it will", 10_000);
  await stopEngine(a);
  await stopEngine(b);
});
