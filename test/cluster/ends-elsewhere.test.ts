/**
 * Runs a trigger waits for, ending on another engine. Two engines on one
 * PostgreSQL; the leader A fires, but each run's task needs a worker that
 * only B has, so the run is handed to B and ends there. Only the engine that
 * ends a run heard its end: a fixed delay (`every … after_finish`) on A
 * waited until A next read the definitions, and a watch trigger on A stayed
 * muted (its own run's writes) until the lead moved. A now reads the
 * store's runs under way while a trigger waits, and goes on within a second
 * or so of the end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { connectWorker, engineIdOf, engineStarter, leaderAmong } from "./shared-store.js";

checkNoLeftoverProcesses();

/** From a run's end on B to the leader's next run of the trigger: the delay (2 s), a read of the store (≤ 1 s) and slack for a loaded machine. */
const NEXT_WITHIN_MS = 8_000;

interface RunRow {
  id: string;
  state: string;
  owner: string;
  created_at: string;
  finished_at: string | null;
}

test("a fixed delay and a watch trigger whose runs end on another engine go on at their end, not at the next look at the definitions", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-ends-elsewhere-");
  const inbox = join(dir, "inbox");
  mkdirSync(inbox);
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `namespace: e
pipelines:
  paced:
    triggers: [{ every: 2s, after_finish: true }]
    tasks:
      t: { runs_on: [gpu], run: "true" }
  inbox:
    triggers: [{ watch: ./inbox, debounce: 100ms }]
    tasks:
      t: { runs_on: [gpu], run: "true" }
`,
  );
  // Heartbeats every 500 ms: a hand-over is looked for at each.
  const { start, said } = engineStarter(t, { dir, schema, file, extra: ["--leader-lease", "2s", "--rescue-after", "3s"] });
  const a = await start("a");
  await leaderAmong([a]);
  const b = await start("b");
  const worker = await connectWorker(t, b, dir);
  const runsOf = async (pipeline: string) =>
    (await rowsIn(schema, "SELECT id, state, owner, created_at::text, finished_at::text FROM runs WHERE pipeline = $1 ORDER BY created_at", [pipeline])) as unknown as RunRow[];

  // The fixed delay: three runs in a row, each handed to B and ended there, each next one made by A soon after.
  await until(async () => (await runsOf("paced")).filter((run) => run.state === "succeeded").length >= 2 && (await runsOf("paced")).length >= 3, `three runs of paced\n${said()}`, 3 * NEXT_WITHIN_MS + 10_000);
  const paced = await runsOf("paced");
  for (const [index, run] of paced.slice(1, 3).entries()) {
    const before = paced[index]!;
    assert.equal(before.state, "succeeded", JSON.stringify(before));
    assert.equal(before.owner, engineIdOf(b), "the run was handed to B, whose worker ran it");
    const gap = Number(run.created_at) - Number(before.finished_at);
    assert.ok(gap >= 2_000 && gap < NEXT_WITHIN_MS, `paced's next run made ${gap} ms after the end of the one before (the delay is 2 s)`);
  }

  // The watch trigger: a change starts a run, handed to B; once it ended there, a new change starts another.
  writeFileSync(join(inbox, "first"), "1");
  await until(async () => (await runsOf("inbox")).some((run) => run.state === "succeeded"), `the first run of inbox to end\n${said()}`, 20_000);
  const [first] = await runsOf("inbox");
  assert.equal(first!.owner, engineIdOf(b), "the watch trigger's run was handed to B");
  const endedAt = Date.now();
  // A change is taken once A has heard that end (a read of the store, then the settling time): until then it is dropped as the run's own.
  for (let probe = 1; (await runsOf("inbox")).length < 2; probe++) {
    assert.ok(Date.now() - endedAt < NEXT_WITHIN_MS, `no run of a change made ${NEXT_WITHIN_MS} ms after the watch trigger's run ended on B: it is still muted\n${said()}`);
    writeFileSync(join(inbox, `again-${probe}`), String(probe));
    await until(async () => (await runsOf("inbox")).length >= 2, "a run of the change", 1_000).catch(() => undefined);
  }
  await until(async () => (await runsOf("inbox")).every((run) => run.state === "succeeded"), "the second run of inbox to end", 20_000);

  await worker.stop();
  await Promise.all([stopEngine(a), stopEngine(b)]);
});
