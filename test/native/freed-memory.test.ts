/**
 * The allocator's trim threshold, raised for processes that end with their
 * command (native/memory.c). What it saves is page faults, which bench/dag
 * counts; here, that the addon built here sets it, and refuses nonsense.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUSY_PROCESS_KEPT_BYTES, keepFreedMemory } from "../../src/native/freed-memory.js";
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
