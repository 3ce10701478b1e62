/**
 * `every … after_finish` among engines sharing one PostgreSQL. A fixed delay
 * waits for its run under way; the scheduler asked the store for the runs
 * under way of its own engine only, so an engine that took the lead from
 * one frozen mid-run fired at once, beside the run still under way. It asks
 * for every engine's now, and fires once that run has ended (taken over,
 * ended on it, and its end told to its scheduler).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { engineIdOf, engineStarter, leaderAmong } from "./shared-store.js";

checkNoLeftoverProcesses();

test("every … after_finish among engines: the engine that takes the lead from one frozen mid-run waits for that run to end before it fires again", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-after-finish-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `namespace: f\npipelines:\n  slow:\n    triggers: [{ every: 1s, after_finish: true }]\n    tasks:\n      t: { run: "sleep 30" }\n`);
  const { start, said } = engineStarter(t, { dir, schema, file, extra: ["--leader-lease", "2s", "--rescue-after", "3s"] });
  const runs = async () => (await rowsIn(schema, "SELECT id, state, owner FROM runs WHERE pipeline = 'slow' ORDER BY created_at")) as { id: string; state: string; owner: string }[];

  const a = await start("a");
  await leaderAmong([a]);
  await until(async () => (await runs()).some((run) => run.state === "running"), "the leader's first run of slow to run", 15_000);
  const b = await start("b");
  a.child.kill("SIGSTOP");
  let woken = false;
  t.after(() => void (woken || a.child.kill("SIGCONT")));
  await leaderAmong([b]);

  // A's run is under way until B takes it over (A silent past --rescue-after) and it ends there, interrupted: no
  // second run of the trigger meanwhile.
  await until(
    async () => {
      const now = await runs();
      assert.equal(now.length, 1, `B fired while A's run of slow was still under way: ${JSON.stringify(now)}\n${said()}`);
      return now[0]!.state === "interrupted";
    },
    "A's run to be taken over and end",
    20_000,
  );
  await until(async () => (await runs()).some((run) => run.owner === engineIdOf(b)), `B fires slow again once that run ended\n${said()}`, 10_000);
  a.child.kill("SIGCONT");
  woken = true;
  await stopEngine(b);
  await stopEngine(a);
});

test("every … after_finish among engines: the engine that takes the lead after a run ended counts the delay from that end, which only the old leader had heard", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-after-finish-lead-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `namespace: f\npipelines:\n  paced:\n    triggers: [{ every: 4s, after_finish: true }]\n    tasks:\n      t: { run: "sleep 3" }\n`);
  const { start, said } = engineStarter(t, { dir, schema, file, extra: ["--leader-lease", "2s"] });
  const runs = async () => (await rowsIn(schema, "SELECT id, state, created_at, finished_at FROM runs WHERE pipeline = 'paced' ORDER BY created_at")) as { state: string; created_at: string; finished_at: string | null }[];

  const a = await start("a");
  await leaderAmong([a]);
  const b = await start("b");
  await until(async () => (await runs()).some((run) => run.state === "succeeded"), "the first run of paced to end", 20_000);
  // A stops once that run has ended: B leads within a second, knowing nothing of when the run ended but what the store says.
  await stopEngine(a);
  await until(async () => (await runs()).length >= 2, `B to fire paced again\n${said()}`, 20_000);
  const [first, second] = await runs();
  const gap = Number(second!.created_at) - Number(first!.finished_at);
  // Before, B counted from the first run's slot (4 s after it, 1 s after its end).
  assert.ok(gap >= 3_500, `the second run was made ${gap} ms after the first ended; the delay is 4 s`);
  await stopEngine(b);
});
