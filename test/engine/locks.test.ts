/** Counted locks: capacity honoured, all or nothing, released exactly. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LockTable } from "../../src/engine/resources/locks.js";

const capacity = (caps: Record<string, number>) => (name: string) => caps[name] ?? 1;

test("a lock of capacity 2 never has three holders", () => {
  const locks = new LockTable();
  const caps = capacity({ license: 2 });
  assert.equal(locks.tryAcquire(["license"], caps), true);
  assert.equal(locks.tryAcquire(["license"], caps), true);
  assert.equal(locks.tryAcquire(["license"], caps), false);
  assert.equal(locks.holders("license"), 2);
  locks.release(["license"]);
  assert.equal(locks.tryAcquire(["license"], caps), true);
});

test("all or nothing: a run that cannot take every lock takes none", () => {
  const locks = new LockTable();
  const caps = capacity({});
  assert.equal(locks.tryAcquire(["db"], caps), true);
  assert.equal(locks.tryAcquire(["cache", "db"], caps), false);
  assert.equal(locks.holders("cache"), 0, "cache was not taken by the refused run");
  locks.release(["db"]);
  assert.equal(locks.tryAcquire(["cache", "db"], caps), true);
  assert.equal(locks.holders("db"), 1);
});

test("an undeclared lock has capacity 1, and a name listed twice counts once", () => {
  const locks = new LockTable();
  assert.equal(locks.tryAcquire(["x", "x"], capacity({})), true);
  assert.equal(locks.holders("x"), 1);
  assert.equal(locks.tryAcquire(["x"], capacity({})), false);
});
