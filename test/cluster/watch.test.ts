/**
 * A `watch` trigger among engines sharing one PostgreSQL: two `spire engine`
 * processes watching the same folder (one machine, as engines whose machines
 * share it). Only the engine that leads watches, so a change starts one run,
 * not one per engine; once the leader stops, the next one watches.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, POSTGRES_URL, rowsIn } from "../helpers/postgres.js";
import { engineIdOf, leaderAmong, shareSecret } from "./shared-store.js";

checkNoLeftoverProcesses();

const DEBOUNCE_MS = 200;
/** Long enough for a second engine's run of the same change to have been made: several debounces. */
const NOTHING_MORE_MS = DEBOUNCE_MS * 8;

test("a watch trigger on two engines: a change starts one run, on the leader; once it stops, the next leader watches", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-watch-");
  const inbox = join(dir, "inbox");
  mkdirSync(inbox);
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `namespace: w\npipelines:\n  inbox:\n    triggers:\n      - watch: ./inbox\n        debounce: ${DEBOUNCE_MS}ms\n    tasks:\n      t: { run: "true" }\n`);
  const logs = new Map<string, string>();
  const start = async (name: string) => {
    if (name !== "a") shareSecret(join(dir, "a"), join(dir, name));
    const engine = await startEngine(t, join(dir, name), ["--store", `${POSTGRES_URL}?schema=${schema}`, "--leader-lease", "2s", "-f", file]);
    engine.child.stderr?.on("data", (chunk: Buffer) => logs.set(name, (logs.get(name) ?? "") + chunk.toString()));
    return engine;
  };
  const a = await start("a");
  const b = await start("b");
  const nameOf = (engine: RunningEngine) => (engine === a ? "a" : "b");
  const runs = async () => (await rowsIn(schema, "SELECT id, state, owner FROM runs WHERE pipeline = 'inbox' ORDER BY created_at")) as { id: string; state: string; owner: string }[];
  const ended = (count: number) => until(async () => (await runs()).filter((run) => run.state === "succeeded").length >= count, `${count} runs of inbox to succeed`, 15_000);

  const { engine: leader } = await leaderAmong([a, b]);
  // It watches a moment after it leads (it said so before the test could listen): a change made before that is not seen.
  for (let probe = 1; (await runs()).length === 0; probe++) {
    writeFileSync(join(inbox, `first-${probe}`), "1");
    await until(async () => (await runs()).length > 0, "a run of the change", 5_000).catch(() => undefined);
  }
  await ended(1);
  await new Promise((resolve) => setTimeout(resolve, NOTHING_MORE_MS));
  const once = await runs();
  assert.equal(once.length, 1, `one change, one run: ${JSON.stringify(once)}`);
  assert.equal(once[0]!.owner, engineIdOf(leader), "the leader made it");

  const next = leader === a ? b : a;
  await stopEngine(leader);
  await until(() => (logs.get(nameOf(next)) ?? "").includes("this engine leads the scheduling now"), "the other engine to lead, and watch", 15_000);
  writeFileSync(join(inbox, "second"), "2");
  await ended(2);
  await new Promise((resolve) => setTimeout(resolve, NOTHING_MORE_MS));
  const twice = await runs();
  assert.equal(twice.length, 2, JSON.stringify(twice));
  assert.equal(twice[1]!.owner, engineIdOf(next), "the new leader made it");
  await stopEngine(next);
});
