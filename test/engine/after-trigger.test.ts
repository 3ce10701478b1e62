/**
 * `after` triggers through the real engine: which final states start which
 * followers (success, failure, any), across namespaces, never after a
 * canceled run or for a paused follower, and a loop that stops.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { MAX_RUN_CHAIN } from "../../src/engine/runs/run-chain.js";
import { admin, finishedRuns, quietFor, runsOf, triggerEngine } from "./trigger-harness.js";

checkNoLeftoverProcesses();

/** Long enough for a follower run to be made after its upstream finished, several times over. */
const NOTHING_MORE_MS = 1_000;

const follower = (name: string, upstream: string, status: string) =>
  `  ${name}:\n    triggers: [{ after: { pipeline: ${upstream}, status: ${status} } }]\n    tasks:\n      t: { run: "true" }\n`;

const matrix =
  "pipelines:\n" +
  `  ok:\n    tasks:\n      t: { run: "true" }\n` +
  `  bad:\n    tasks:\n      t: { run: "exit 3" }\n` +
  ["success", "failure", "any"].flatMap((status) => [follower(`${status}_ok`, "ok", status), follower(`${status}_bad`, "bad", status)]).join("");

test("after: success follows a success, failure a failure, any both; the run says which run it followed", async (t) => {
  const { engine, store } = await triggerEngine(t, matrix, { namespace: "a" });
  const ok = await engine.startRun(admin, "a", "ok", { args: {} });
  const bad = await engine.startRun(admin, "a", "bad", { args: {} });
  const started = { success_ok: ok.id, any_ok: ok.id, failure_bad: bad.id, any_bad: bad.id };
  for (const [name, of] of Object.entries(started)) {
    const [run] = await finishedRuns(store, "a", name, 1);
    const upstream = of === ok.id ? "ok" : "bad";
    assert.deepEqual(
      { ...run!.trigger, scheduled_at: typeof run!.trigger.scheduled_at },
      { kind: "after", scheduled_at: "string", trigger_key: "0:after", of, pipeline: `a/${upstream}`, state: upstream === "ok" ? "succeeded" : "failed", depth: 1 },
      `${name}'s trigger`,
    );
  }
  await quietFor(NOTHING_MORE_MS);
  for (const name of ["failure_ok", "success_bad"]) assert.equal((await runsOf(store, "a", name)).length, 0, `${name} does not start`);
  for (const name of Object.keys(started)) assert.equal((await runsOf(store, "a", name)).length, 1, `${name} starts once`);
});

test("after: a canceled run starts nothing; a paused follower does not start; ns/name follows another namespace", async (t) => {
  const yaml =
    "pipelines:\n" +
    `  slow:\n    tasks:\n      t: { run: "sleep 30" }\n` +
    `  quick:\n    tasks:\n      t: { run: "true" }\n` +
    follower("after_slow", "slow", "any") +
    follower("paused_follower", "quick", "any");
  const { engine, store, apply } = await triggerEngine(t, yaml, { namespace: "a" });
  await apply("pipelines:\n" + follower("elsewhere", "a/quick", "success"), "b");
  await engine.setPaused(admin, "a", "paused_follower", true);

  const slow = await engine.startRun(admin, "a", "slow", { args: {} });
  await engine.cancelRun(admin, slow.id);
  await engine.startRun(admin, "a", "quick", { args: {} });
  const [elsewhere] = await finishedRuns(store, "b", "elsewhere", 1);
  assert.equal(elsewhere!.trigger.pipeline, "a/quick");
  await quietFor(NOTHING_MORE_MS);
  assert.equal((await finishedRuns(store, "a", "slow", 1))[0]!.state, "canceled");
  assert.equal((await runsOf(store, "a", "after_slow")).length, 0, "a canceled run is not followed, even by status any");
  assert.equal((await runsOf(store, "a", "paused_follower")).length, 0, "a paused pipeline's after trigger does not fire");
});

test("after: two pipelines that follow each other stop after the chain limit, with a warning", async (t) => {
  const yaml = "pipelines:\n" + follower("ping", "pong", "any") + follower("pong", "ping", "any");
  const { engine, store, warnings } = await triggerEngine(t, yaml, { namespace: "a" });
  await engine.startRun(admin, "a", "ping", { args: {} });
  // ping (by hand), then pong, ping, … each started by the one before: MAX_RUN_CHAIN of them.
  const half = MAX_RUN_CHAIN / 2;
  const pongs = await finishedRuns(store, "a", "pong", half, 30_000);
  await finishedRuns(store, "a", "ping", half + 1, 30_000);
  await quietFor(NOTHING_MORE_MS);
  const pings = await runsOf(store, "a", "ping");
  assert.equal(pings.length + (await runsOf(store, "a", "pong")).length, MAX_RUN_CHAIN + 1, "the chain stops");
  assert.equal(Math.max(...[...pings, ...pongs].map((run) => Number(run.trigger.depth ?? 0))), MAX_RUN_CHAIN);
  assert.ok(warnings.some((w) => w.message.includes("chain stopped")), "the engine log says why");
});
