/**
 * Runs asked for from inside runs (a task's or notify command's `spire run`,
 * which sends its SPIRE_RUN_ID as caused_by) count as a chain, as after
 * triggers' runs do, through the real engine: each one more than its cause,
 * refused past the limit with what to do; an unknown cause starts no chain.
 * test/cli/run-chain.test.ts has the real `spire run` inside a task.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { MAX_RUN_CHAIN } from "../../src/engine/runs/run-chain.js";
import { ServiceError } from "../../src/engine/service.js";
import { admin, finishedRuns, quietFor, triggerEngine } from "./trigger-harness.js";

checkNoLeftoverProcesses();

const YAML = `pipelines:
  again:
    concurrency: 50
    tasks:
      t: { exec: ["true"] }
  followed:
    concurrency: 50
    triggers: [{ after: { pipeline: again } }]
    tasks:
      t: { exec: ["true"] }
`;

test("a run asked for from inside a run is one more in its chain; past the limit it is refused, saying why; an unknown cause starts none", async (t) => {
  const { engine, store } = await triggerEngine(t, YAML);
  let cause = await engine.startRun(admin, "t", "again", { args: {} });
  assert.equal(cause.trigger.depth, undefined, "started by hand: no chain");
  for (let depth = 1; depth <= MAX_RUN_CHAIN; depth++) {
    const next = await engine.startRun(admin, "t", "again", { args: {}, causedBy: cause.id });
    assert.deepEqual([next.trigger.kind, next.trigger.caused_by, next.trigger.depth], ["manual", cause.id, depth]);
    cause = next;
  }
  const refusal = await engine.startRun(admin, "t", "again", { args: {}, causedBy: cause.id }).then(
    () => assert.fail("the run past the limit was made"),
    (error: ServiceError) => error,
  );
  assert.equal(refusal.code, "conflict");
  assert.match(refusal.message, new RegExp(`^run refused: t/again was asked for from inside run ${cause.id}, the end of a chain of ${MAX_RUN_CHAIN} runs each started by the one before`));
  assert.match(String((refusal.details as { hint: string }).hint), /starts its own pipeline loops for ever/);

  const unknown = await engine.startRun(admin, "t", "again", { args: {}, causedBy: "nosuchrun0000000" });
  assert.equal(unknown.trigger.depth, undefined);

  // The chain is one: each \`again\` run's after follower is one deeper than it, and the run at the limit has none.
  await finishedRuns(store, "t", "again", MAX_RUN_CHAIN + 2, 30_000);
  // One follower for each of them but the last of the chain: the hand-started one, depths 1 to 31, and the unknown cause's.
  await finishedRuns(store, "t", "followed", MAX_RUN_CHAIN + 1, 30_000);
  await quietFor(500);
  const followers = await store.listRuns({ namespace: "t", pipeline: "followed", limit: 1000 });
  assert.equal(followers.length, MAX_RUN_CHAIN + 1);
  assert.ok(followers.some((run) => run.trigger.depth === MAX_RUN_CHAIN), "the follower of the run at depth 31 is at the limit");
  assert.ok(!followers.some((run) => run.trigger["of"] === cause.id), "the run at the limit starts no follower");
});
