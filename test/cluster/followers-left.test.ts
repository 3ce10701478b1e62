/**
 * `after` followers of a run that ends while its engine stops cleanly, among
 * engines sharing one PostgreSQL. A draining engine makes no runs, so the
 * run's end is stored with its followers pending; they were made only when
 * some engine started next, though the leader was up all along: the leader
 * now looks for pending followers and makes those left, once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopEngine, apiStartRun, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { engineIdOf, engineStarter, leaderAmong, leading } from "./shared-store.js";

checkNoLeftoverProcesses();

/** Whether the engine answers that it drains (GET /health says 503 from the start of its drain until it stops listening). */
async function draining(engine: RunningEngine): Promise<boolean> {
  try {
    return (await fetch(`${engine.url}/api/v1/health`, { signal: AbortSignal.timeout(2000) })).status === 503;
  } catch {
    return false;
  }
}

test("after: a run that ends while its engine stops cleanly has its follower made by the engine that leads, once, with no engine started again", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-followers-left-");
  const gate = join(dir, "gate");
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `namespace: f\npipelines:\n  up:\n    tasks:\n      t: { run: "while [ ! -e '${gate}' ]; do sleep 0.05; done" }\n  down:\n    triggers: [{ after: { pipeline: up } }]\n    tasks:\n      t: { run: "true" }\n`,
  );
  const { start, said } = engineStarter(t, { dir, schema, file, extra: ["--leader-lease", "2s"] });
  const runs = async (pipeline: string) => (await rowsIn(schema, `SELECT id, state, owner, "trigger" FROM runs WHERE pipeline = '${pipeline}' ORDER BY created_at`)) as { id: string; state: string; owner: string; trigger: string }[];

  const a = await start("a");
  await leaderAmong([a]);
  const b = await start("b");
  assert.equal(await leading(b), false, "B does not lead while A holds the lease");

  const up = await apiStartRun(b, "f/up");
  await until(async () => (await runs("up")).some((run) => run.id === up && run.state === "running" && run.owner === engineIdOf(b)), `up's run to run on B\n${said()}`, 15_000);

  // B stops cleanly with up's run under way; the run ends (its task exits) during the drain, so B makes no follower.
  b.child.kill("SIGTERM");
  await until(() => draining(b), `B to drain\n${said()}`, 15_000);
  writeFileSync(gate, "");
  // Not stopEngine: a second SIGTERM makes an engine exit at once, without storing the run's end.
  await until(() => b.child.exitCode !== null || b.child.signalCode !== null, `B to stop once its run ended\n${said()}`, 30_000);
  assert.equal((await b.exit).code, 0, `B stopped cleanly\n${said()}`);
  assert.equal((await runs("up"))[0]?.state, "succeeded", `up's run ended on B as B stopped\n${said()}`);

  await until(async () => (await runs("down")).length > 0, `the leader to make down's run after up's, with B gone and no engine started again\n${said()}`, 20_000);
  await until(async () => (await rowsIn(schema, "SELECT run_id FROM after_pending")).length === 0, "up's pending followers to be settled");
  const downs = await runs("down");
  assert.equal(downs.length, 1, `one run of down: ${JSON.stringify(downs)}`);
  assert.equal(downs[0]!.owner, engineIdOf(a), "made by A, the engine alive");
  assert.equal(JSON.parse(downs[0]!.trigger).of, up, "down's run says it followed up's");
  await stopEngine(a);
});
