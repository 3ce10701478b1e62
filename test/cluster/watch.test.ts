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
import { stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { engineIdOf, engineStarter, leaderAmong } from "./shared-store.js";

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
  const { start, logOf } = engineStarter(t, { dir, schema, file, extra: ["--leader-lease", "2s"] });
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
  await until(() => logOf(nameOf(next)).includes("this engine leads the scheduling now"), "the other engine to lead, and watch", 15_000);
  writeFileSync(join(inbox, "second"), "2");
  await ended(2);
  await new Promise((resolve) => setTimeout(resolve, NOTHING_MORE_MS));
  const twice = await runs();
  assert.equal(twice.length, 2, JSON.stringify(twice));
  assert.equal(twice[1]!.owner, engineIdOf(next), "the new leader made it");
  await stopEngine(next);
});

test("a watch trigger's run still under way on an engine that stopped leading: its writes start nothing on the new leader, a change after its end does", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-watch-lead-");
  const inbox = join(dir, "inbox");
  mkdirSync(inbox);
  const gate = join(dir, "gate");
  const file = join(dir, "spire.yaml");
  // The build writes into the folder it watches, once let go: that write is the run's own.
  writeFileSync(file, `namespace: w\npipelines:\n  build:\n    triggers:\n      - watch: ./inbox\n        debounce: ${DEBOUNCE_MS}ms\n    tasks:\n      t: { run: 'while [ ! -e "${gate}" ]; do sleep 0.05; done; date > "${inbox}/output"' }\n`);
  const { start, said, logOf } = engineStarter(t, { dir, schema, file, extra: ["--leader-lease", "2s"] });
  const runs = async () => (await rowsIn(schema, "SELECT id, state, owner FROM runs WHERE pipeline = 'build' ORDER BY created_at")) as { id: string; state: string; owner: string }[];
  const a = await start("a");
  await leaderAmong([a]);
  const b = await start("b");
  for (let probe = 1; (await runs()).length === 0; probe++) {
    writeFileSync(join(inbox, `source-${probe}`), "1");
    await until(async () => (await runs()).length > 0, "a run of the change", 3_000).catch(() => undefined);
  }
  // A stops cleanly while its run waits: it drains (the run goes on there) and B leads, watching the folder.
  const stopping = stopEngine(a);
  await leaderAmong([b]);
  // Once B watches, a change is taken as the run's own (it says so), not as a new one: until it does, each probe may be unseen.
  const muted = () => logOf("b").includes("starts no run: it is taken as that run's");
  for (let probe = 1; !muted(); probe++) {
    writeFileSync(join(inbox, `meanwhile-${probe}`), "1");
    await until(async () => muted() || (await runs()).length > 1, "B to see the change", 1_000).catch(() => undefined);
    assert.equal((await runs()).length, 1, `a change while A's run was under way started another on B\n${said()}`);
    assert.ok(probe < 20, `B never saw a change\n${said()}`);
  }
  writeFileSync(gate, "");
  await stopping;
  assert.equal((await runs())[0]!.state, "succeeded");
  // Its end heard (a read of the store), a change is taken again.
  for (let probe = 1; (await runs()).length < 2; probe++) {
    writeFileSync(join(inbox, `later-${probe}`), "2");
    await until(async () => (await runs()).length >= 2, "a run of a later change", 1_000).catch(() => undefined);
    assert.ok(probe < 10, `no run of a change after the run ended\n${said()}`);
  }
  assert.equal((await runs())[1]!.owner, engineIdOf(b));
  await stopEngine(b);
});
