/**
 * The Store contract: one suite every adapter must pass (SQLite now,
 * PostgreSQL later). It speaks only through the port.
 *
 * `makeStore(t)` opens a store on a fresh, empty database (for PostgreSQL, a
 * fresh schema per test); with `shareWith` it opens another store on the same
 * database as that one (as a second process would). The suite calls `init()`
 * and closes what it opens.
 *
 * What this asks of every backend, beyond the obvious:
 * - times come back as numbers (node-pg returns BIGINT as a string);
 * - JSON round-trips exactly, including "\u0000" in strings (jsonb refuses it:
 *   store JSON as text or `json`);
 * - failures are typed where the port says so (RunNotFoundError,
 *   TokenNameTakenError), whatever the driver's own error is;
 * - a reader following events or audit by seq never skips one, so appends
 *   must become visible in seq order (sequences in PostgreSQL do not do
 *   that by themselves under concurrent writers);
 * - no test depends on collation: every compared order is the same in
 *   binary and in a natural-language collation.
 */
import { describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { EventRow, Store } from "../../src/store/port.js";
import type { TaskMessage } from "../../src/exec/port.js";
import { RunNotFoundError } from "../../src/store/errors.js";
import { aNamespace, anEvent, aPipeline, aRun, aTask, runCreated, taskChange } from "./fixtures.js";
import { tokenTests } from "./contract-tokens.js";
import { auditTests } from "./contract-audit.js";
import { applyTests } from "./contract-apply.js";
import { queueTests } from "./contract-queues.js";
import { scheduleTests } from "./contract-schedules.js";
import { retentionTests } from "./contract-retention.js";
import { historyTests } from "./contract-history.js";
import { creationTests } from "./contract-creation.js";
import { watchLeaseTests } from "./contract-watch-leases.js";

export type StoreFactory = (t: TestContext, shareWith?: Store) => Promise<Store>;

export function storeContract(name: string, makeStore: StoreFactory): void {
  /** A ready store, closed after the test. */
  async function open(t: TestContext, shareWith?: Store): Promise<Store> {
    const store = await makeStore(t, shareWith);
    t.after(() => store.close());
    await store.init();
    return store;
  }

  /** A store holding one run (`r1`), for tests about what happens to runs. */
  async function withRun(t: TestContext): Promise<Store> {
    const store = await open(t);
    await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    return store;
  }

  describe(`store contract: ${name}`, () => {
    describe("namespaces", () => namespaceTests(open));
    describe("pipelines", () => pipelineTests(open));
    describe("runs", () => runTests(open, withRun));
    describe("write", () => writeTests(withRun));
    describe("creating runs", () => creationTests(open));
    describe("events", () => eventTests(withRun));
    describe("listing runs", () => listingTests(open));
    describe("JSON values", () => jsonTests(open));
    describe("sharing one database", () => sharingTests(open));
    describe("tokens", () => tokenTests(open));
    describe("spire watch leases", () => watchLeaseTests(open));
    describe("audit", () => auditTests(open));
    describe("applying a namespace", () => applyTests(open));
    describe("recovery and queues", () => queueTests(open));
    describe("schedules and slots", () => scheduleTests(open));
    describe("retention", () => retentionTests(open));
    describe("pages of runs, filters, pauses", () => historyTests(open));
  });
}

export type Open = (t: TestContext, shareWith?: Store) => Promise<Store>;

function namespaceTests(open: Open): void {
  test("upsert inserts, get and list read back exactly", async (t) => {
    const store = await open(t);
    await store.upsertNamespace(aNamespace("work"));
    await store.upsertNamespace(aNamespace("home", { origin: { ...aNamespace("x").origin, path: null, author: null } }));
    assert.deepEqual(await store.getNamespace("work"), aNamespace("work"));
    assert.deepEqual(
      (await store.listNamespaces()).map((ns) => [ns.name, ns.origin.path]),
      [["home", null], ["work", "/home/jane/work/spire.yaml"]],
    );
    assert.equal(await store.getNamespace("missing"), undefined);
  });

  test("upsert of an existing name updates it and keeps created_at", async (t) => {
    const store = await open(t);
    await store.upsertNamespace(aNamespace("home"));
    const changed = aNamespace("home", { metadata: { team: "dev", owners: ["a", "b"] }, created_at: 5_000, updated_at: 5_000 });
    await store.upsertNamespace(changed);
    assert.deepEqual(await store.getNamespace("home"), { ...changed, created_at: 1_000 });
    assert.equal((await store.listNamespaces()).length, 1);
  });
}

function pipelineTests(open: Open): void {
  test("upsert, get, list all and by namespace", async (t) => {
    const store = await open(t);
    await store.upsertPipeline(aPipeline("work", "report"));
    await store.upsertPipeline(aPipeline("home", "backup", { paused: true }));
    await store.upsertPipeline(aPipeline("home", "alpha"));
    assert.deepEqual(await store.getPipeline("home", "backup"), aPipeline("home", "backup", { paused: true }));
    assert.equal(await store.getPipeline("home", "report"), undefined);
    const all = await store.listPipelines();
    assert.deepEqual(all.map((p) => `${p.namespace}/${p.name}`), ["home/alpha", "home/backup", "work/report"]);
    assert.deepEqual((await store.listPipelines("home")).map((p) => p.name), ["alpha", "backup"]);
    assert.deepEqual(await store.listPipelines("nobody"), []);
  });

  test("paused is a real boolean both ways", async (t) => {
    const store = await open(t);
    await store.upsertPipeline(aPipeline("home", "backup", { paused: true }));
    assert.equal((await store.getPipeline("home", "backup"))?.paused, true);
    await store.upsertPipeline(aPipeline("home", "backup", { paused: false }));
    assert.equal((await store.getPipeline("home", "backup"))?.paused, false);
  });

  test("upsert of an existing pipeline replaces the definition and keeps created_at", async (t) => {
    const store = await open(t);
    await store.upsertPipeline(aPipeline("home", "backup"));
    const changed = aPipeline("home", "backup", { definition: { tasks: {} }, digest: "new", created_at: 9, updated_at: 9_000 });
    await store.upsertPipeline(changed);
    assert.deepEqual(await store.getPipeline("home", "backup"), { ...changed, created_at: 2_000 });
  });

  test("delete says whether it removed something, and leaves the history", async (t) => {
    const store = await open(t);
    await store.upsertPipeline(aPipeline("home", "backup"));
    await store.createRun(aRun("r1"), runCreated(aRun("r1")));
    assert.equal(await store.deletePipeline("home", "backup"), true);
    assert.equal(await store.deletePipeline("home", "backup"), false);
    assert.equal(await store.getPipeline("home", "backup"), undefined);
    assert.equal((await store.getRun("r1"))?.run.pipeline, "backup");
  });
}

function runTests(open: Open, withRun: Open): void {
  test("createRun stores the run and its first event", async (t) => {
    const store = await open(t);
    const run = aRun("r1", { partition: "eu", seed: 2147483647, args: { n: 3 } });
    const event = await store.createRun(run, runCreated(run));
    assert.deepEqual(event, { ...runCreated(run), seq: event.seq });
    assert.ok(Number.isInteger(event.seq) && event.seq > 0);
    assert.deepEqual(await store.getRun("r1"), { run, tasks: [] });
    assert.deepEqual(await store.listEvents("r1", 0, 10), [event]);
  });

  test("createRun with a taken id fails and appends no event", async (t) => {
    const store = await withRun(t);
    await assert.rejects(store.createRun(aRun("r1", { pipeline: "other" }), runCreated(aRun("r1"))));
    assert.equal((await store.listEvents("r1", 0, 10)).length, 1);
    assert.equal((await store.getRun("r1"))?.run.pipeline, "backup");
  });

  test("getRun of an unknown id is undefined", async (t) => {
    const store = await open(t);
    assert.equal(await store.getRun("nope"), undefined);
  });

  test("getRun returns every attempt of every task, by path then attempt", async (t) => {
    const store = await withRun(t);
    await store.write([taskChange("r1", "b", "task.started"), taskChange("r1", "a", "task.started")]);
    await store.write([taskChange("r1", "a", "task.started", { attempt: 2 })]);
    const tasks = (await store.getRun("r1"))?.tasks ?? [];
    assert.deepEqual(tasks.map((task) => [task.path, task.attempt]), [["a", 1], ["a", 2], ["b", 1]]);
    assert.deepEqual(tasks[0], aTask("r1", "a"));
  });

  test("findRunIds matches a literal, case-sensitive prefix, up to the limit", async (t) => {
    const store = await open(t);
    for (const id of ["01abc", "01abd", "01b", "02a", "01_x", "01%y"]) await store.createRun(aRun(id), runCreated(aRun(id)));
    assert.deepEqual(await store.findRunIds("01ab", 10), ["01abc", "01abd"]);
    assert.deepEqual(await store.findRunIds("01abc", 10), ["01abc"]);
    assert.equal((await store.findRunIds("01", 2)).length, 2);
    assert.deepEqual(await store.findRunIds("01AB", 10), []);
    assert.deepEqual(await store.findRunIds("01_", 10), ["01_x"]);
    assert.deepEqual(await store.findRunIds("01%", 10), ["01%y"]);
    assert.deepEqual(await store.findRunIds("03", 10), []);
  });
}

function writeTests(withRun: Open): void {
  test("a run patch sets only the fields it names", async (t) => {
    const store = await withRun(t);
    await store.write([
      {
        event: anEvent("r1", "run.finished"),
        run: { id: "r1", state: "failed", finished_at: 20_000, errors: 2, reason: "dump failed", metrics: { rows: { min: 1, max: 9, mean: 5, sum: 10, count: 2 } } },
      },
    ]);
    const expected = aRun("r1", {
      state: "failed",
      finished_at: 20_000,
      errors: 2,
      reason: "dump failed",
      metrics: { rows: { min: 1, max: 9, mean: 5, sum: 10, count: 2 } },
    });
    assert.deepEqual((await store.getRun("r1"))?.run, expected);
  });

  test("a patch can set a field back to null", async (t) => {
    const store = await withRun(t);
    await store.write([{ event: anEvent("r1", "x"), run: { id: "r1", reason: "why", started_at: 5 } }]);
    await store.write([{ event: anEvent("r1", "y"), run: { id: "r1", reason: null, started_at: null } }]);
    assert.deepEqual((await store.getRun("r1"))?.run, aRun("r1"));
  });

  test("a task row is inserted, then replaced whole for the same attempt", async (t) => {
    const store = await withRun(t);
    await store.write([taskChange("r1", "dump", "task.started")]);
    const finished = aTask("r1", "dump", { state: "succeeded", exit_code: 0, finished_at: 15_000, cpu_ms: 12, peak_rss_bytes: 1 << 20, pid: null, outputs: { size: "42" } });
    await store.write([{ event: anEvent("r1", "task.finished"), task: finished }]);
    assert.deepEqual((await store.getRun("r1"))?.tasks, [finished]);
  });

  test("where an attempt ran is kept with it, per attempt", async (t) => {
    const store = await withRun(t);
    const first = aTask("r1", "train", { state: "failed", exit_code: 1, finished_at: 15_000, worker: "gpu-box" });
    const second = aTask("r1", "train", { attempt: 2, worker: "other-box" });
    await store.write([{ event: anEvent("r1", "task.finished"), task: first }, { event: anEvent("r1", "task.started"), task: second }]);
    assert.deepEqual((await store.getRun("r1"))?.tasks.map((task) => [task.attempt, task.worker]), [[1, "gpu-box"], [2, "other-box"]]);
    await store.write([{ event: anEvent("r1", "task.finished"), task: { ...second, state: "succeeded", worker: null } }]);
    assert.equal((await store.getRun("r1"))?.tasks[1]?.worker, null, "a later write of the attempt replaces it whole");
  });

  test("a task's warning and error texts are kept with its attempt: a later write without them keeps them, and only rows with some carry them", async (t) => {
    const store = await withRun(t);
    const messages: TaskMessage[] = [
      { level: "warning", text: "disk almost full", ts: 14_000, stream: "stdout" },
      { level: "error", text: "nul \u0000 and ünïcode ✓", ts: 14_500, stream: "stderr" },
    ];
    await store.write([taskChange("r1", "dump", "task.started"), taskChange("r1", "other", "task.started")]);
    const finished = aTask("r1", "dump", { state: "failed", exit_code: 1, finished_at: 15_000, warnings: 1, errors: 1, messages });
    await store.write([{ event: anEvent("r1", "task.finished"), task: finished }]);
    const read = (await store.getRun("r1"))!.tasks;
    assert.deepEqual(read, [finished, aTask("r1", "other")]);
    assert.equal("messages" in read[1]!, false, "a row without texts has no messages field");
    const rewritten = { ...finished, reason: "rewritten" };
    delete rewritten.messages;
    await store.write([{ event: anEvent("r1", "task.note"), task: rewritten }]);
    assert.deepEqual((await store.getRun("r1"))!.tasks[0], { ...rewritten, messages }, "the texts stay");
    const retried = aTask("r1", "dump", { attempt: 2, state: "succeeded", messages: [{ level: "warning", text: "again", ts: 16_000, stream: "stdout" }] });
    await store.write([{ event: anEvent("r1", "task.finished"), task: retried }]);
    assert.deepEqual((await store.getRun("r1"))!.tasks.map((task) => task.messages?.map((m) => m.text)), [["disk almost full", "nul \u0000 and ünïcode ✓"], ["again"], undefined]);
  });

  test("several changes apply in order and return their events with rising seq", async (t) => {
    const store = await withRun(t);
    const stored = await store.write([
      { event: anEvent("r1", "run.started"), run: { id: "r1", state: "running", started_at: 10_500 } },
      taskChange("r1", "dump", "task.started"),
      taskChange("r1", "dump", "task.finished", { state: "succeeded" }),
      { event: anEvent("r1", "run.finished"), run: { id: "r1", state: "succeeded" } },
    ]);
    assert.deepEqual(stored.map((e) => e.type), ["run.started", "task.started", "task.finished", "run.finished"]);
    assertRising(stored);
    const after = await store.getRun("r1");
    assert.equal(after?.run.state, "succeeded");
    assert.equal(after?.run.started_at, 10_500);
    assert.equal(after?.tasks[0]?.state, "succeeded");
  });

  test("an empty write does nothing", async (t) => {
    const store = await withRun(t);
    assert.deepEqual(await store.write([]), []);
    assert.equal((await store.listEvents("r1", 0, 10)).length, 1);
  });

  test("a task row for a missing run fails the whole write", async (t) => {
    const store = await withRun(t);
    const good = { event: anEvent("r1", "run.started"), run: { id: "r1", state: "running" as const } };
    await assert.rejects(store.write([good, taskChange("r1", "dump", "task.started"), { event: anEvent("r1", "x"), task: aTask("ghost", "dump") }]));
    await assertUntouched(store);
  });

  test("a patch of a missing run fails the whole write", async (t) => {
    const store = await withRun(t);
    await assert.rejects(
      store.write([taskChange("r1", "dump", "task.started"), { event: anEvent("r1", "x"), run: { id: "ghost", state: "failed" } }]),
      (error: unknown) => error instanceof RunNotFoundError && error.runId === "ghost",
    );
    await assertUntouched(store);
  });

  test("an event for a missing run fails the whole write", async (t) => {
    const store = await withRun(t);
    await assert.rejects(store.write([taskChange("r1", "dump", "task.started"), { event: anEvent("ghost", "x") }]));
    await assertUntouched(store);
  });

  test("a failed write leaves the seq sequence usable", async (t) => {
    const store = await withRun(t);
    await assert.rejects(store.write([{ event: anEvent("ghost", "x") }]));
    const [event] = await store.write([{ event: anEvent("r1", "after") }]);
    assert.deepEqual((await store.listEvents("r1", 0, 10)).map((e) => e.type), ["run.created", "after"]);
    assert.ok(event);
  });

  /** r1 exactly as `withRun` made it: no patch, no task, no event beyond the first. */
  async function assertUntouched(store: Store): Promise<void> {
    assert.deepEqual(await store.getRun("r1"), { run: aRun("r1"), tasks: [] });
    assert.deepEqual((await store.listEvents("r1", 0, 10)).map((e) => e.type), ["run.created"]);
  }

}

function eventTests(withRun: Open): void {
  test("listEvents pages by seq, oldest first, one run only", async (t) => {
    const store = await withRun(t);
    await store.createRun(aRun("r2"), runCreated(aRun("r2")));
    for (let i = 0; i < 5; i++) {
      await store.write([{ event: anEvent("r1", `e${i}`, { data: { i } }) }, { event: anEvent("r2", `other${i}`) }]);
    }
    const all = await store.listEvents("r1", 0, 100);
    assert.deepEqual(all.map((e) => e.type), ["run.created", "e0", "e1", "e2", "e3", "e4"]);
    assertRising(all);
    const page = await store.listEvents("r1", all[2]!.seq, 2);
    assert.deepEqual(page, all.slice(3, 5));
    assert.deepEqual(await store.listEvents("r1", all.at(-1)!.seq, 10), []);
  });

  test("seq rises across runs and writes, and old events never change", async (t) => {
    const store = await withRun(t);
    const before = await store.listEvents("r1", 0, 100);
    const seen: EventRow[] = [...before];
    for (let i = 0; i < 20; i++) {
      const id = `r${i + 2}`;
      seen.push(await store.createRun(aRun(id), runCreated(aRun(id))));
      seen.push(...(await store.write([taskChange("r1", `t${i}`, "task.started"), taskChange(id, "t", "task.started")])));
    }
    assertRising(seen);
    const r1Events = await store.listEvents("r1", 0, 100);
    assert.deepEqual(r1Events.slice(0, before.length), before);
    assert.deepEqual(r1Events, seen.filter((e) => e.run_id === "r1"));
  });

  test("latestEventSeq is the newest stored event's seq, where a reader of what comes next starts", async (t) => {
    const store = await withRun(t);
    const created = (await store.listEvents("r1", 0, 10)).at(-1)!;
    assert.equal(await store.latestEventSeq(), created.seq);
    const [written] = await store.write([{ event: anEvent("r1", "e0") }]);
    assert.equal(await store.latestEventSeq(), written!.seq);
    assert.deepEqual(await store.listEventsSince(await store.latestEventSeq(), 10), []);
  });

  test("the returned event equals what readers get", async (t) => {
    const store = await withRun(t);
    const [stored] = await store.write([{ event: anEvent("r1", "x", { task_path: "a/b", attempt: 3, data: { nested: { list: [1, "two", null] } } }) }]);
    const [read] = await store.listEvents("r1", stored!.seq - 1, 1);
    assert.deepEqual(read, stored);
  });
}

function listingTests(open: Open): void {
  /** Ten runs: created_at 1..5 twice over, ids chosen so ties sort by id. */
  async function tenRuns(t: TestContext): Promise<Store> {
    const store = await open(t);
    for (let i = 0; i < 10; i++) {
      const run = aRun(`run-${i}`, {
        created_at: 1 + (i % 5),
        pipeline: i % 2 === 0 ? "even" : "odd",
        namespace: i < 8 ? "home" : "work",
        state: i % 3 === 0 ? "failed" : "succeeded",
      });
      await store.createRun(run, runCreated(run));
    }
    return store;
  }
  const ids = (runs: { id: string }[]) => runs.map((run) => run.id);
  const newestFirst = ["run-9", "run-4", "run-8", "run-3", "run-7", "run-2", "run-6", "run-1", "run-5", "run-0"];

  test("newest first by created_at, then by id", async (t) => {
    const store = await tenRuns(t);
    assert.deepEqual(ids(await store.listRuns({ limit: 100 })), newestFirst);
    assert.deepEqual(ids(await store.listRuns({ limit: 3 })), newestFirst.slice(0, 3));
  });

  test("filters by namespace, pipeline and state, together", async (t) => {
    const store = await tenRuns(t);
    const keep = (f: (i: number) => boolean) => newestFirst.filter((id) => f(Number(id.slice(4))));
    assert.deepEqual(ids(await store.listRuns({ limit: 100, pipeline: "even" })), keep((i) => i % 2 === 0));
    assert.deepEqual(ids(await store.listRuns({ limit: 100, namespace: "work" })), ["run-9", "run-8"]);
    assert.deepEqual(ids(await store.listRuns({ limit: 100, state: "failed" })), keep((i) => i % 3 === 0));
    assert.deepEqual(
      ids(await store.listRuns({ limit: 100, namespace: "home", pipeline: "odd", state: "succeeded" })),
      keep((i) => i < 8 && i % 2 === 1 && i % 3 !== 0),
    );
    assert.deepEqual(await store.listRuns({ limit: 100, pipeline: "none" }), []);
  });

  test("the before cursor pages through every run once, even across equal times", async (t) => {
    const store = await tenRuns(t);
    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await store.listRuns({ limit: 3, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      seen.push(...ids(page));
      before = page.at(-1)!.id;
    }
    assert.deepEqual(seen, newestFirst);
  });

  test("the before cursor combines with filters", async (t) => {
    const store = await tenRuns(t);
    assert.deepEqual(ids(await store.listRuns({ limit: 2, pipeline: "even", before: "run-4" })), ["run-8", "run-2"]);
  });

  test("a cursor naming no stored run falls back to comparing ids", async (t) => {
    const store = await open(t);
    for (const id of ["01a", "01b", "01c"]) await store.createRun(aRun(id), runCreated(aRun(id)));
    assert.deepEqual(ids(await store.listRuns({ limit: 10, before: "01bz" })), ["01b", "01a"]);
  });
}

function jsonTests(open: Open): void {
  test("nested objects, unicode and nulls round-trip", async (t) => {
    const store = await open(t);
    const args = { "ключ": "значение ✓", emoji: "🦀👩‍🚀", nested: { deep: [1, 2.5, -3e-7, { x: null }], empty: {}, list: [] }, yes: true, no: false, quote: "a\"b\\c\n\u0000" };
    const run = aRun("r-ü", { args, trigger: { kind: "webhook", scheduled_at: null, headers: { "x-id": "ä" } }, definition: args });
    await store.createRun(run, anEvent("r-ü", "run.created", { data: args }));
    const got = await store.getRun("r-ü");
    assert.deepEqual(got?.run, run);
    assert.deepEqual((await store.listEvents("r-ü", 0, 1))[0]?.data, args);
  });

  test("any JSON value round-trips through every JSON column", async (t) => {
    const store = await open(t);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), async (object, value) => {
        const expectedObject = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
        const expectedValue: unknown = JSON.parse(JSON.stringify(value ?? null));
        const id = `r${n++}`;
        await store.createRun(aRun(id, { args: object, definition: value }), anEvent(id, "run.created", { data: object }));
        await store.upsertNamespace(aNamespace("ns", { metadata: object }));
        await store.upsertPipeline(aPipeline("ns", "p", { definition: value }));
        const got = await store.getRun(id);
        assert.deepEqual(got?.run.args, expectedObject);
        assert.deepEqual(got?.run.definition, expectedValue);
        assert.deepEqual((await store.listEvents(id, 0, 1))[0]?.data, expectedObject);
        assert.deepEqual((await store.getNamespace("ns"))?.metadata, expectedObject);
        assert.deepEqual((await store.getPipeline("ns", "p"))?.definition, expectedValue);
      }),
      { numRuns: 100 },
    );
  });
}

function sharingTests(open: Open): void {
  test("init is idempotent, and a second store sees the first one's data", async (t) => {
    const first = await open(t);
    await first.init();
    await first.createRun(aRun("r1"), runCreated(aRun("r1")));
    const second = await open(t, first);
    await second.init();
    assert.deepEqual(await second.getRun("r1"), { run: aRun("r1"), tasks: [] });
  });

  test("data survives closing and reopening", async (t) => {
    const first = await open(t);
    await first.upsertPipeline(aPipeline("home", "backup"));
    await first.createRun(aRun("r1"), runCreated(aRun("r1")));
    await first.write([taskChange("r1", "dump", "task.started")]);
    const second = await open(t, first);
    await first.close();
    assert.deepEqual(await second.getPipeline("home", "backup"), aPipeline("home", "backup"));
    assert.deepEqual((await second.getRun("r1"))?.tasks, [aTask("r1", "dump")]);
    assert.equal((await second.listEvents("r1", 0, 10)).length, 2);
  });

  test("two stores writing at once both succeed, with distinct seqs", async (t) => {
    const first = await open(t);
    const second = await open(t, first);
    await first.createRun(aRun("a"), runCreated(aRun("a")));
    await second.createRun(aRun("b"), runCreated(aRun("b")));
    const writes = [];
    for (let i = 0; i < 50; i++) {
      writes.push(first.write([taskChange("a", `t${i}`, "task.started")]));
      writes.push(second.write([taskChange("b", `t${i}`, "task.started")]));
    }
    const seqs = (await Promise.all(writes)).flat().map((e) => e.seq);
    assert.equal(new Set(seqs).size, 100);
    assert.equal((await first.getRun("b"))?.tasks.length, 50);
    assert.equal((await second.getRun("a"))?.tasks.length, 50);
  });
}

function assertRising(events: EventRow[]): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i]!.seq > events[i - 1]!.seq, `seq ${events[i]!.seq} after ${events[i - 1]!.seq}`);
  }
}
