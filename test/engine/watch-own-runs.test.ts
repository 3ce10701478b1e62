/** The rule that keeps a watch trigger from firing itself, with an explicit clock (watch-trigger.test.ts drives it for real). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MIN_SETTLE_MS, OwnRuns } from "../../src/engine/triggers/watch-own-runs.js";

function clocked() {
  let now = 1_000;
  const own = new OwnRuns(() => now);
  return { own, advance: (ms: number) => (now += ms) };
}

test("muted from the firing until the settling time after its run ended; the first muted change is flagged once", () => {
  const { own, advance } = clocked();
  assert.deepEqual(own.muted("k"), { muted: false, first: false }, "a trigger that never fired takes every change");
  own.fired("k");
  assert.deepEqual(own.muted("k"), { muted: true, first: true });
  advance(60_000);
  assert.deepEqual(own.muted("k"), { muted: true, first: false }, "however long the run takes");
  own.ended("k", 500);
  advance(499);
  assert.equal(own.muted("k").muted, true, "within the debounce after the end");
  advance(1);
  assert.equal(own.muted("k").muted, false);
  assert.equal(own.muted("other").muted, false, "one trigger's run mutes no other trigger");
});

test("a short debounce still settles for MIN_SETTLE_MS", () => {
  const { own, advance } = clocked();
  own.fired("k");
  own.ended("k", 0);
  advance(MIN_SETTLE_MS - 1);
  assert.equal(own.muted("k").muted, true);
  advance(1);
  assert.equal(own.muted("k").muted, false);
});

test("a firing that made no run unmutes at once; a late answer about an earlier firing changes nothing", () => {
  const { own, advance } = clocked();
  const refused = own.fired("k");
  own.notMade("k", refused);
  assert.equal(own.muted("k").muted, false, "refused: nothing will write");
  const earlier = own.fired("k");
  own.ended("k", 0);
  advance(MIN_SETTLE_MS);
  own.fired("k");
  own.notMade("k", earlier);
  assert.equal(own.muted("k").muted, true, "the current firing's run is still under way");
});

test("disarming a trigger whose run is under way does not forget that run", () => {
  const { own } = clocked();
  own.fired("k");
  own.keepOnly(new Set()); // paused (or re-applied) during the run, and armed again before it ends
  assert.equal(own.muted("k").muted, true);
});
