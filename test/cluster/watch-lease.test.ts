/**
 * A `spire watch` lease among engines sharing one PostgreSQL: two `spire
 * engine` processes, renewals sent to one of them. Each engine used to keep
 * terms of its own, so the other, never renewed, paused the pipeline a term
 * after it started. The store keeps the one term now: renewals through
 * either keep it firing, another watcher is refused by either, and once the
 * renewals stop, one engine pauses it, once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiGet, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { engineStarter } from "./shared-store.js";

checkNoLeftoverProcesses();

const LEASE_MS = 1_500;

async function renew(engine: RunningEngine, holder: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const response = await fetch(`${engine.url}/api/v1/pipelines/w/watched/lease`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ holder }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const pipelineOn = (engine: RunningEngine) => apiGet<{ paused: boolean; paused_reason: string | null }>(engine, "/pipelines/w/watched");
const pauses = async (schema: string) => (await rowsIn(schema, "SELECT actor FROM audit WHERE action = 'pipeline.pause' AND target = 'w/watched'")).map((row) => row.actor);

test("a spire watch lease among engines sharing PostgreSQL: renewals through one keep it firing on both, another watcher is refused by either, and a lapse pauses it once", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-lease-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `namespace: w\npipelines:\n  watched:\n    metadata: { adhoc: watch }\n    triggers: [{ every: 1h }]\n    tasks:\n      t: { run: "true" }\n`);
  const { start, said } = engineStarter(t, { dir, schema, file, extra: ["--watch-lease", `${LEASE_MS}ms`] });
  const a = await start("a");
  // The watcher renews through A only, three times a term, from the start (as spire watch does once it has applied).
  let renewing = true;
  const renewals: number[] = [];
  const watcher = (async () => {
    while (renewing) {
      renewals.push((await renew(a, "watcher-one")).status);
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 3));
    }
  })();
  const b = await start("b");
  // Three terms more with B up: B's looks at the term find it renewed.
  await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS));
  renewing = false;
  await watcher;
  assert.deepEqual([...new Set(renewals)], [200], "every renewal through A taken");
  for (const engine of [a, b]) assert.equal((await pipelineOn(engine)).paused, false, `still firing after three terms renewed through A only\n${said()}`);
  assert.deepEqual(await pauses(schema), []);

  const refused = await renew(b, "watcher-two");
  assert.equal(refused.status, 409, "another watcher is refused by the engine the holder does not talk to");
  assert.equal((refused.body.error as { details: { held?: boolean } }).details.held, true);
  assert.equal((await renew(b, "watcher-one")).status, 200, "the holder renews through either");

  // The watcher stops renewing: one engine pauses it, with why, and no other pauses it again.
  await until(async () => (await pipelineOn(a)).paused, "paused once its lease lapsed", 10 * LEASE_MS);
  assert.match((await pipelineOn(b)).paused_reason ?? "", /^its spire watch is gone: no lease renewal for 1\.5s$/);
  await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
  assert.deepEqual(await pauses(schema), ["engine (spire watch lease)"], "paused once, by one engine");

  // Back (fg): a renewal through the other engine resumes it.
  const back = await renew(b, "watcher-one");
  assert.equal(back.status, 200);
  assert.equal(back.body.resumed, true);
  assert.equal((await pipelineOn(a)).paused, false);
  await stopEngine(a);
  await stopEngine(b);
});
