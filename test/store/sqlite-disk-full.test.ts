/**
 * The SQLite store on a disk that fills up (a real tmpfs): batched writes
 * wait for room instead of failing, keep their order, are not doubled, and
 * the full disk is said once each way; other writes are refused with a
 * DiskFullError meanwhile, and reads go on.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openSqliteStore, type DiskSpaceEvent } from "../../src/store/sqlite/index.js";
import { DiskFullError } from "../../src/store/errors.js";
import { fillDisk, smallDisk } from "../helpers/small-disk.js";
import { aRun, anAudit, runCreated, taskChange } from "./fixtures.js";

test("writes that find the disk full wait in order and are stored once each when there is room; said once each way", async (t) => {
  const opened = await storeOnSmallDisk(t, { first: 5, max: 20 });
  if (opened === undefined) return;
  const { disk, store, said, fullSaid } = opened;

  const free = fillDisk(disk);
  const settled: string[] = [];
  const started = store.write([taskChange("r1", "build", "task.started", { state: "running" })]);
  void started.then(() => settled.push("started"), () => settled.push("started failed"));
  await new Promise((resolve) => setImmediate(resolve)); // a later turn: a batch of its own
  const finished = store.write([taskChange("r1", "build", "task.finished", { state: "succeeded", exit_code: 0 })]);
  void finished.then(() => settled.push("finished"), () => settled.push("finished failed"));
  await Promise.race([fullSaid, Promise.allSettled([started, finished]).then(() => assert.fail(`settled while the disk was full: ${settled.join(", ")}`))]);

  // Meanwhile: a write that may not wait is refused, saying what to do; reads still answer.
  await assert.rejects(store.appendAudit(anAudit("apply")), (error: Error) => {
    assert.ok(error instanceof DiskFullError, String(error));
    assert.match(error.message, new RegExp(`the disk holding Spire's data folder ${disk} is full: free some space`));
    return true;
  });
  // Each step says which it was when it fails (a read once failed so: see the next test).
  assert.deepEqual((await step("the read while full", store.getRun("r1")))?.tasks, [], "nothing of the waiting writes is stored yet");
  assert.deepEqual(settled, [], "and they are still waiting");

  free();
  const [startedEvents, finishedEvents] = await step("the waiting writes once there is room", Promise.all([started, finished]));
  assert.ok(startedEvents[0]!.seq < finishedEvents[0]!.seq, "stored in the order asked");
  assert.deepEqual(settled, ["started", "finished"]);
  assert.deepEqual((await step("the events read", store.listEvents("r1", 0, 10))).map((event) => event.type), ["run.created", "task.started", "task.finished"], "each once");
  assert.equal((await store.getRun("r1"))?.tasks[0]?.state, "succeeded");
  assert.deepEqual(said.map((event) => event.full), [true, false], "said once when full and once when there was room, however often it was tried");
  await step("the audit write once there is room", store.appendAudit(anAudit("apply")));
  assert.equal((await store.listAudit({ limit: 10 })).length, 1);
});

test("a read while the disk is full answers, and never takes the waiting writes into its own transaction", async (t) => {
  // Tried again at once, every time: a retry is always due, also in the middle of a read.
  const opened = await storeOnSmallDisk(t, { first: 0, max: 0 });
  if (opened === undefined) return;
  const { disk, store, fullSaid } = opened;

  const free = fillDisk(disk);
  const settled: string[] = [];
  const started = store.write([taskChange("r1", "build", "task.started", { state: "running" })]);
  void started.then(() => settled.push("started"), (error) => settled.push(`started failed: ${String(error)}`));
  await fullSaid;
  for (let read = 0; read < 20; read++) {
    assert.deepEqual((await step(`read ${read} while full`, store.getRun("r1")))?.tasks, [], "the waiting write is not stored yet");
    assert.deepEqual(settled, [], "and is still waiting, not said to be stored");
  }
  free();
  await step("the waiting write once there is room", started);
  assert.equal((await store.getRun("r1"))?.tasks[0]?.state, "running");
});

/** A store on a small disk of its own (undefined when the test is skipped), holding one run "r1"; `fullSaid` once the disk is said to be full. */
async function storeOnSmallDisk(t: TestContext, diskFullRetryMs: { first: number; max: number }) {
  const disk = smallDisk(t, 4);
  if (disk === undefined) return undefined;
  const said: DiskSpaceEvent[] = [];
  let full!: () => void;
  const fullSaid = new Promise<void>((resolve) => (full = resolve));
  const store = openSqliteStore(join(disk, "spire.db"), {
    onDiskSpace: (event) => {
      said.push(event);
      if (event.full) full();
    },
    diskFullRetryMs,
  });
  t.after(() => store.close());
  await store.init();
  const run = aRun("r1");
  await store.createRun(run, runCreated(run));
  return { disk, store, said, fullSaid };
}

/** `promise`, whose failure says at which step of the test it came. */
async function step<T>(name: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${name} failed: ${String(error)} (code ${(error as { code?: string }).code})`, { cause: error });
  }
}
