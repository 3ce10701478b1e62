/** The engine's reservations as bookkeeping: all or nothing, given back exactly, and an older big request is not starved. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Slots } from "../../src/engine/resources/slots.js";
import { engineCapacity, taskRequest } from "../../src/engine/resources/reservations.js";
import { LockTable } from "../../src/engine/resources/locks.js";

const cpus = (n: number) => taskRequest({ resources: { cpus: n } });
const fourCpus = () => new Slots(10, { resources: engineCapacity({ cpus: 4, memoryBytes: 1000 }) });

test("a task starts only when its slot, cpus, memory and locks are all free, and gives all of them back", () => {
  const slots = fourCpus();
  const request = taskRequest({ resources: { cpus: 3, memory: 600 }, locks: ["db"] });
  assert.equal(slots.claim(request), undefined);
  assert.deepEqual(slots.reserved, { cpus: 3, memoryBytes: 600 });
  assert.equal(slots.claim(cpus(2)), "busy", "only 1 cpu is left");
  assert.equal(slots.claim(taskRequest({ resources: { memory: 500 } })), "busy", "only 400 bytes are left");
  assert.equal(slots.claim(taskRequest({ locks: ["db", "cache"] })), "busy");
  assert.equal(slots.locks.holders("cache"), 0, "nothing of a refused request is held");
  assert.equal(slots.claim(), undefined, "a task without resources needs only its slot");
  slots.release();
  slots.release(request);
  assert.deepEqual(slots.reserved, { cpus: 0, memoryBytes: 0 });
  assert.equal(slots.locks.holders("db"), 0);
  assert.equal(slots.inUse, 0);
});

test("a request no waiting can meet is said so, with where the capacity comes from", () => {
  const slots = fourCpus();
  assert.equal(slots.beyond(cpus(8)), "it asks for 8 cpus; this engine has 4 (--cpus)");
  assert.match(slots.beyond(taskRequest({ resources: { memory: 2048 } }))!, /asks for 2 KiB of memory; this engine has 1000 B \(--memory\)/);
  assert.match(new Slots(1).beyond(cpus(1e6))!, /this machine's cores/);
  assert.equal(slots.beyond(cpus(4)), undefined);
});

test("the oldest run waiting for cpus keeps them: later small requests go only on what is left over", () => {
  const slots = fourCpus();
  const [bigRun, smallRuns] = [{}, {}];
  assert.equal(slots.claim(cpus(2), smallRuns), undefined);
  assert.equal(slots.claim(cpus(4), bigRun), "busy");
  slots.wait(bigRun, cpus(4));
  // Two cpus are free, but taking one would leave the big request less than it needs.
  assert.equal(slots.claim(cpus(1), smallRuns), "busy");
  assert.equal(slots.claim(undefined, smallRuns), undefined, "a task asking only for a slot is not held back");
  slots.release();
  slots.release(cpus(2));
  assert.equal(slots.claim(cpus(4), bigRun), undefined, "the big request got its turn");
  slots.withdraw(bigRun);
  slots.release(cpus(4));
  assert.equal(slots.claim(cpus(1), smallRuns), undefined);
});

test("a waiting run whose locks are held elsewhere keeps nothing, so no one waits on a holder that waits on them", () => {
  const locks = new LockTable();
  const slots = new Slots(10, { resources: engineCapacity({ cpus: 4 }), locks });
  const [waiting, other] = [{}, {}];
  locks.tryAcquire(["db"], () => 1); // a whole run holds db
  slots.wait(waiting, taskRequest({ resources: { cpus: 4 }, locks: ["db"] }));
  assert.equal(slots.claim(cpus(1), other), undefined, "the run holding db can go on");
});

test("task locks and whole runs' locks are one table; a task giving locks back tells the engine and wakes waiters", () => {
  const locks = new LockTable();
  let told = 0;
  let woken = 0;
  const slots = new Slots(10, { locks, onLocksReleased: () => told++ });
  assert.equal(locks.tryAcquire(["license"], () => 2), true);
  const task = taskRequest({ locks: ["license"] }, { license: 2 });
  assert.equal(slots.claim(task), undefined);
  assert.equal(slots.claim(task), "busy", "capacity 2: a run and a task hold it");
  slots.onFree(() => woken++);
  slots.release(task);
  assert.equal(told, 1);
  assert.equal(woken, 1);
  assert.equal(locks.holders("license"), 1);
});

test("a release wakes waiters oldest first while a slot is free; the rest keep their places for the next", () => {
  const slots = new Slots(1);
  assert.equal(slots.claim(), undefined);
  const woken: string[] = [];
  const waiter = (name: string, claims: boolean) => slots.onFree(() => (woken.push(name), claims && slots.claim()));
  waiter("a", true);
  waiter("b", false); // its run was canceled meanwhile: it takes nothing
  waiter("c", true);
  waiter("d", true);
  slots.release();
  assert.deepEqual(woken, ["a"], "a took the slot: the others would find none");
  slots.release();
  assert.deepEqual(woken, ["a", "b", "c"], "b took nothing, so c was woken for the slot");
  slots.onFree(() => woken.push("e"));
  slots.release();
  assert.deepEqual(woken, ["a", "b", "c", "d"], "d was waiting before e");
  slots.release();
  assert.deepEqual(woken, ["a", "b", "c", "d", "e"]);
});

test("an adopted attempt takes what it holds even beyond capacity", () => {
  const slots = fourCpus();
  slots.take(cpus(6));
  assert.deepEqual(slots.reserved, { cpus: 6, memoryBytes: 0 });
  assert.equal(slots.claim(cpus(1)), "busy");
  slots.release(cpus(6));
  assert.equal(slots.claim(cpus(4)), undefined);
});

test("counted lock requests: units per lock, a name given twice taken once with its largest count", () => {
  const request = taskRequest({ locks: ["seat", { name: "seat", count: 2 }, "db"] }, { seat: 3 });
  assert.deepEqual(request.locks, [
    { name: "seat", count: 2 },
    { name: "db", count: 1 },
  ]);
  assert.equal(request.capacityOf("seat"), 3);
  assert.equal(request.capacityOf("db"), 1);
});
