/**
 * The allocator's trim threshold, raised for processes that end with their
 * command (native/memory.c). What it saves is page faults, which bench/dag
 * counts; here, that the addon built here sets it, and refuses nonsense.
 * Giving freed memory back at rest (what it saves, bench/api's rest part
 * counts): that the addon does it, and that bursts close together are
 * followed by one give-back, once the last one is some time past.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUSY_PROCESS_KEPT_BYTES, FreedMemoryAfterBursts, giveBackFreedMemory, keepFreedMemory } from "../../src/native/freed-memory.js";
import { loadAddon } from "../../src/native/addon.js";

test("the addon built here sets how much freed memory glibc keeps", () => {
  const loaded = loadAddon();
  assert.ok("addon" in loaded, "why" in loaded ? loaded.why : "");
  assert.equal(keepFreedMemory(BUSY_PROCESS_KEPT_BYTES), true);
});

test("a size that is not a byte count glibc can take changes nothing", () => {
  assert.equal(keepFreedMemory(-1), false);
  assert.equal(keepFreedMemory(2 ** 31), false);
  assert.equal(keepFreedMemory(Number.NaN), false);
});

test("the addon gives freed memory back", () => {
  // Blocks freed below one still in use: what malloc_trim finds to give back (true when it gave any).
  const kept = Array.from({ length: 2000 }, (_, index) => Buffer.allocUnsafeSlow(index % 2 === 0 ? 4096 : 64));
  kept.length = 1;
  assert.equal(typeof giveBackFreedMemory(), "boolean");
});

test("bursts close together are followed by one give-back, the delay after the last", async () => {
  const calls: number[] = [];
  const start = Date.now();
  const freed = new FreedMemoryAfterBursts(100, () => calls.push(Date.now() - start));
  freed.burst();
  await new Promise((resolve) => setTimeout(resolve, 60));
  freed.burst();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(calls, [], "not while bursts keep coming");
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(calls.length, 1);
  assert.ok(calls[0]! >= 160, `given back ${calls[0]} ms after the first burst`);
  freed.burst();
  freed.stop();
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(calls.length, 1, "nothing after stop()");
});
