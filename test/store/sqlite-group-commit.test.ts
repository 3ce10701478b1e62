/**
 * Group commit in the SQLite store: writes asked for in the same turn share
 * one transaction (one commit), each keeps its own savepoint, and any other
 * use of the store sees them first.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { statSync } from "node:fs";
import { tempDir } from "../helpers/tmp.js";
import { aRun, anEvent, runCreated, taskChange } from "./fixtures.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

async function storeWithRuns(t: TestContext, ids: string[]): Promise<{ store: Store; file: string }> {
  const file = join(tempDir(t, "spire-group-commit-"), "spire.db");
  const store = openSqliteStore(file);
  t.after(() => store.close());
  await store.init();
  for (const id of ids) {
    const run = aRun(id);
    await store.createRun(run, runCreated(run));
  }
  return { store, file };
}

/** Frames in the write-ahead log: each commit appends the pages it changed. */
function walFrames(file: string): number {
  const pageSize = 4096;
  return Math.max(0, (statSync(`${file}-wal`).size - 32) / (pageSize + 24));
}

test("ten writes asked in one turn are one commit, stored in the order asked", async (t) => {
  const ids = Array.from({ length: 10 }, (_, index) => `run-${index}`);
  const { store, file } = await storeWithRuns(t, ids);
  const beforeBatch = walFrames(file);
  const stored = await Promise.all(ids.map((id) => store.write([taskChange(id, "build", "task.started", { state: "running" })])));
  const batchFrames = walFrames(file) - beforeBatch;
  const seqs = stored.map(([event]) => event!.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "events are numbered in the order the writes were asked");
  for (const id of ids) assert.equal((await store.getRun(id))?.tasks[0]?.state, "running");
  // The same ten writes one after another (each awaited) are ten commits, each writing its pages again.
  const beforeOneByOne = walFrames(file);
  for (const id of ids) await store.write([taskChange(id, "build", "task.finished", { state: "succeeded" })]);
  const oneByOneFrames = walFrames(file) - beforeOneByOne;
  assert.ok(batchFrames > 0);
  assert.ok(oneByOneFrames >= 5 * batchFrames, `one commit wrote ${batchFrames} pages; ten commits wrote ${oneByOneFrames}`);
});

test("a failing write in a batch is undone alone: the others are stored and only its promise rejects", async (t) => {
  const { store } = await storeWithRuns(t, ["a", "b"]);
  const first = store.write([taskChange("a", "build", "task.started", { state: "running" })]);
  // Two changes, the second refused by the database (an event of no run): the first of them must be undone too.
  const broken = store.write([taskChange("b", "build", "task.started", { state: "running" }), { event: anEvent("no-such-run", "task.started") }]);
  const last = store.write([{ event: anEvent("b", "run.started"), run: { id: "b", state: "running", started_at: 13_000 } }]);
  const [a, b, c] = await Promise.allSettled([first, broken, last]);
  assert.equal(a.status, "fulfilled");
  assert.equal(b.status, "rejected");
  assert.match(String((b as PromiseRejectedResult).reason), /FOREIGN KEY/i);
  assert.equal(c.status, "fulfilled");
  assert.equal((await store.getRun("a"))?.tasks[0]?.state, "running");
  const runB = await store.getRun("b");
  assert.deepEqual(runB?.tasks, [], "the broken write's first change was rolled back with it");
  assert.equal(runB?.run.state, "running");
  assert.deepEqual((await store.listEvents("b", 0, 10)).map((event) => event.type), ["run.created", "run.started"]);
});

test("a read asked right after a write, without awaiting it, sees the write", async (t) => {
  const { store } = await storeWithRuns(t, ["r"]);
  const written = store.write([{ event: anEvent("r", "run.started"), run: { id: "r", state: "running", started_at: 13_000 } }]);
  const read = store.getRun("r");
  assert.equal((await read)?.run.state, "running");
  await written;
});
