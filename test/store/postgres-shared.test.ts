/**
 * What engines on one PostgreSQL keep there for each other (Store.shared):
 * a task log copied by the engine that ran it and read by another engine
 * exactly as the first reads its file (the same pages, cursors, line
 * windows and filters, across the copy's row boundaries), artifacts copied
 * and read back byte for byte, and the requests one engine makes of the
 * engine that runs a run, the places of runs in their pipelines' queues and
 * the units of named locks that runs and tasks hold; the missed records of
 * every engine, and the notices of new ones and of runs removed.
 */
import { describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { buffer } from "node:stream/consumers";
import pg from "pg";
import type { Store } from "../../src/store/port.js";
import type { SharedStore } from "../../src/store/shared-port.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { formatLogLine } from "../../src/logs/log-file.js";
import { LocalLogs } from "../../src/logs/local-logs.js";
import { SharedLogs } from "../../src/logs/shared-logs.js";
import type { AttemptLog } from "../../src/logs/port.js";
import { CHUNK_BYTES, LogShipper } from "../../src/engine/sharing/log-shipper.js";
import { fetchTaskArtifacts, shareTaskArtifacts } from "../../src/engine/sharing/artifact-copies.js";
import { listRunArtifacts, openRunArtifact } from "../../src/engine/artifacts/artifact-listing.js";
import { artifactFolder } from "../../src/engine/artifacts/artifact-handover.js";
import { attemptFiles } from "../../src/engine/runs/attempt.js";
import { aRun, aTask, anEvent, runCreated, taskChange } from "./fixtures.js";
import { Listener } from "../../src/cluster/pg-listener.js";
import { UnstoredRun } from "../../src/engine/runs/unstored-run.js";
import { RunRequests } from "../../src/engine/sharing/run-requests.js";
import { until } from "../helpers/poll.js";
import { MISSED_CHANNEL, PLACES_CHANNEL, RUNS_REMOVED_CHANNEL } from "../../src/store/postgres/index.js";
import { cleanSchema, POSTGRES_URL, rowsIn } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";

/** Two stores on one new schema, as two engines (owners "a" and "b") open it; and a run of each. */
async function twoEngines(t: TestContext): Promise<{ a: Store; b: Store; schema: string; sharedA: SharedStore; sharedB: SharedStore }> {
  const schema = await cleanSchema(t);
  const a = openPostgresStore(POSTGRES_URL, { schema, owner: "engine-a" });
  const b = openPostgresStore(POSTGRES_URL, { schema, owner: "engine-b" });
  t.after(() => Promise.all([a.close(), b.close()]));
  await a.init();
  await b.init();
  return { a, b, schema, sharedA: a.shared!, sharedB: b.shared! };
}

async function aRunOf(store: Store, id: string, state: "queued" | "running" | "succeeded" = "running"): Promise<void> {
  const run = aRun(id, { state });
  await store.createRun(run, runCreated(run));
}

const noWarnings = (message: string, details: object) => assert.fail(`${message} ${JSON.stringify(details)}`);

describe("engines sharing PostgreSQL: logs, artifacts and requests", () => {
  test("the triggers under way are every engine's: an engine's fixed delay waits for its run wherever it went on", async (t) => {
    const { a, b } = await twoEngines(t);
    const run = aRun("r1", { state: "running", trigger: { kind: "every", scheduled_at: "2026-01-01T03:00:00.000Z", trigger_key: "0:every" } });
    await a.createRun(run, runCreated(run));
    assert.deepEqual(await b.listRunsInStates(["running"]), [], "another engine's run is its own to take up");
    assert.deepEqual(await b.listTriggersUnderway(), [{ namespace: "home", pipeline: "backup", trigger_key: "0:every" }]);
  });

  test("a log copied by the engine that ran it reads the same through another engine: pages, cursors, line windows, streams, since", async (t) => {
    const { a, sharedA, sharedB } = await twoEngines(t);
    await aRunOf(a, "r1");
    const dataA = tempDir(t);
    const dataB = tempDir(t);
    const log: AttemptLog = { run_id: "r1", path: "group/task", attempt: 2, log_file: attemptFiles(dataA, "r1", "group/task", 2).logFile };
    mkdirSync(join(log.log_file, ".."), { recursive: true });
    // Lines of every length, some longer than a row of the copy, and text of more than one byte per character.
    const lines: string[] = [];
    for (let index = 0; index < 3000; index++) {
      const text = index % 500 === 7 ? "é".repeat(CHUNK_BYTES / 3) : `line ${index} ${"x".repeat(index % 97)} ✓`;
      lines.push(formatLogLine(1_700_000_000_000 + index, index % 3 === 0 ? "stderr" : "stdout", text));
    }
    const shipper = new LogShipper(sharedA, noWarnings);
    t.after(() => shipper.close());
    shipper.follow(log);
    // Written in two halves, the second after the shipper has sent some: the copy is made of several sends.
    writeFileSync(log.log_file, lines.slice(0, 1500).join(""));
    await waitUntil(async () => (await sharedB.logSize(log)) > 0);
    appendFileSync(log.log_file, lines.slice(1500).join("") + "1700000009999 o a line not ended yet");
    await shipper.finish(log);
    const fileSize = readFileSync(log.log_file).length;
    assert.equal(await sharedB.logSize(log), fileSize, "the copy holds every byte of the file, the unended line too");

    const local = new LocalLogs();
    const shared = new SharedLogs(sharedB, dataB);
    const onA = new SharedLogs(sharedA, dataA);
    assert.equal(await shared.size(log), fileSize);
    // Every page the same, cursor after cursor.
    for (const options of [{ limit: 700 }, { limit: 700, stream: "stderr" as const }, { limit: 500, sinceTs: 1_700_000_002_000 }]) {
      let offset = 0;
      for (;;) {
        const [fromFile, fromCopy, fromOwner] = await Promise.all([local.read(log, { ...options, offset }), shared.read(log, { ...options, offset }), onA.read(log, { ...options, offset })]);
        assert.deepEqual(fromCopy, fromFile, `page at ${offset} of ${JSON.stringify(options)}`);
        assert.deepEqual(fromOwner, fromFile);
        if (fromFile.nextOffset === null) {
          assert.equal(fromFile.endOffset, fileSize - "1700000009999 o a line not ended yet".length, "the line not ended is left for later");
          break;
        }
        assert.equal(await shared.atLineStart(log, fromFile.nextOffset), true);
        offset = fromFile.nextOffset;
      }
    }
    assert.equal(await shared.atLineStart(log, 5), false, "a cursor in the middle of a line is refused");
    // The line index: counts and any line's place, as the file's.
    const [fileIndex, copyIndex] = await Promise.all([local.lineIndex(log), shared.lineIndex(log)]);
    assert.deepEqual(copyIndex.counts, { all: 3000, stdout: 2000, stderr: 1000 });
    assert.deepEqual(copyIndex.counts, fileIndex.counts);
    for (const line of [0, 255, 256, 1999, 2999]) assert.deepEqual(copyIndex.locate("all", line), fileIndex.locate("all", line));
    assert.deepEqual(copyIndex.locate("stderr", 999), fileIndex.locate("stderr", 999));
  });

  test("a kept task's log is copied under the retry's run, and every copy goes with its run", async (t) => {
    const { a, b, schema, sharedA, sharedB } = await twoEngines(t);
    await aRunOf(a, "r1", "succeeded");
    await aRunOf(b, "r2");
    const from = { run_id: "r1", path: "dump", attempt: 3 };
    await sharedA.appendLog(from, 0, Buffer.from("1 o one\n"));
    await sharedA.appendLog(from, 8, Buffer.from("2 o two\n"));
    await sharedA.appendLog(from, 8, Buffer.from("2 o two\n")); // sent twice: kept once
    await sharedB.copyLog(from, { run_id: "r2", path: "dump", attempt: 1 });
    assert.equal((await sharedB.readLog({ run_id: "r2", path: "dump", attempt: 1 }, 0, 100)).toString(), "1 o one\n2 o two\n");
    assert.equal((await sharedB.readLog(from, 4, 6)).toString(), "one\n2 ", "a range across two rows");
    assert.equal((await sharedB.readLog(from, 16, 10)).length, 0, "past the end: nothing");
    assert.deepEqual(await a.deleteRuns(["r1"]), ["r1"]);
    assert.equal(await sharedB.logSize(from), 0, "retention removed the run's log with it");
    assert.deepEqual(await rowsIn(schema, "SELECT run_id, count(*)::int AS n FROM log_chunks GROUP BY run_id"), [{ run_id: "r2", n: 2 }], "the copy under the retry stays");
  });

  test("artifacts copied by the engine that ran the task are listed and read byte for byte through another, and written back into a folder", async (t) => {
    const { a, sharedA, sharedB } = await twoEngines(t);
    await aRunOf(a, "r1", "succeeded");
    const dataA = tempDir(t);
    const dataB = tempDir(t);
    const folder = artifactFolder(dataA, "r1", "build");
    mkdirSync(join(folder, "sub"), { recursive: true });
    const big = randomBytes(2 * 1024 * 1024 + 12345);
    writeFileSync(join(folder, "app.tar"), big);
    writeFileSync(join(folder, "sub", "notes.txt"), "hello\n");
    writeFileSync(join(folder, "empty"), "");
    await shareTaskArtifacts(sharedA, dataA, "r1", "build");
    const expected = [
      { task: "build", name: "app.tar", size: big.length },
      { task: "build", name: "empty", size: 0 },
      { task: "build", name: "sub/notes.txt", size: 6 },
    ];
    assert.deepEqual(await listRunArtifacts(dataB, "r1", ["build", "test"], sharedB), expected, "through B: the shared copies");
    assert.deepEqual(await listRunArtifacts(dataA, "r1", ["build", "test"], sharedA), expected, "through A: its own folder");
    const download = await openRunArtifact(dataB, "r1", ["build"], "build", "app.tar", sharedB);
    assert.equal(download.size, big.length);
    assert.ok((await buffer(download.read())).equals(big), "every byte, in order, over three rows");
    await assert.rejects(openRunArtifact(dataB, "r1", ["build"], "build", "nope", sharedB), /kept no artifact "nope"/);
    // Written back into a folder (a retry through B of A's run): the same files.
    const into = tempDir(t);
    await fetchTaskArtifacts(sharedB, "r1", "build", into);
    assert.ok(readFileSync(join(into, "app.tar")).equals(big));
    assert.equal(readFileSync(join(into, "sub", "notes.txt"), "utf8"), "hello\n");
    // Only the run's owner replaces them: an engine that lost the run (taken over while it was frozen) writes nothing.
    assert.equal(await sharedB.replaceArtifacts("r1", "build", []), false);
    assert.equal((await listRunArtifacts(dataB, "r1", ["build"], sharedB)).length, 3);
    // Copied again after another attempt: the set is replaced whole.
    writeFileSync(join(folder, "sub", "notes.txt"), "second attempt\n");
    await shareTaskArtifacts(sharedA, dataA, "r1", "build");
    const notes = await openRunArtifact(dataB, "r1", ["build"], "build", "sub/notes.txt", sharedB);
    assert.equal((await buffer(notes.read())).toString(), "second attempt\n");
  });


  test("a run's artifact room: engines deciding at once never give more than the limit; a task's room stands for its files until they are copied, and only the run's owner takes any", async (t) => {
    const { a, schema, sharedA, sharedB } = await twoEngines(t);
    await aRunOf(a, "r1");
    // A run of no one's (as each engine sees a run it may write): both engines decide about it.
    await rowsIn(schema, "UPDATE runs SET owner = NULL WHERE id = 'r1'");
    const LIMIT = 1000;
    // Each task asks for 300 bytes: three fit under the limit, whoever asks first.
    const ask = (shared: SharedStore, task: string) =>
      shared.reserveArtifactRoom("r1", task, (others) => (others + 300 <= LIMIT ? { bytes: 300, result: true } : { bytes: 0, result: false }));
    const tasks = Array.from({ length: 12 }, (_, index) => `t${index}`);
    const given = await Promise.all(tasks.map((task, index) => ask(index % 2 === 0 ? sharedA : sharedB, task)));
    assert.equal(given.filter((fits) => fits === true).length, 3, `room given to ${JSON.stringify(given)}`);
    const [reserved] = await rowsIn(schema, "SELECT sum(bytes)::int AS bytes FROM artifact_reservations WHERE run_id = 'r1'");
    assert.equal(reserved?.bytes, 900);

    // A task whose files are copied: they count in place of its room. Files of a task with room reserved since (its next attempt) do not.
    const holder = tasks[given.indexOf(true)]!;
    const data = tempDir(t);
    mkdirSync(artifactFolder(data, "r1", holder), { recursive: true });
    writeFileSync(join(artifactFolder(data, "r1", holder), "out.bin"), Buffer.alloc(250));
    await shareTaskArtifacts(sharedA, data, "r1", holder);
    assert.deepEqual(await rowsIn(schema, "SELECT task FROM artifact_reservations WHERE run_id = 'r1' AND task = $1", [holder]), [], "its room is gone once its files are there");
    const look = (shared: SharedStore, task: string, bytes: number, run = "r1") => shared.reserveArtifactRoom(run, task, (others) => ({ bytes, result: others }));
    assert.equal(await look(sharedB, "late", 0), 850, "two tasks' room (600) and one's files (250)");
    assert.equal(await look(sharedB, holder, 100), 600, "a task's own files are not among the others'");
    assert.equal(await look(sharedA, "late", 0), 700, "its room (100) stands for its files (250) until they are copied again");

    // Only the run's owner (or no one's run) reserves: an engine that lost the run takes nothing.
    await rowsIn(schema, "UPDATE runs SET owner = 'engine-a' WHERE id = 'r1'");
    assert.equal(await look(sharedB, "t99", 500), undefined);
    assert.deepEqual(await rowsIn(schema, "SELECT task FROM artifact_reservations WHERE task = 't99'"), []);
    assert.equal(await look(sharedA, "t99", 0), 700);
    // A retry's kept task: its files copied from the run it came from replace its room too.
    await aRunOf(a, "r2");
    assert.equal(await look(sharedA, holder, 5000, "r2"), 0);
    await sharedA.copyArtifacts("r1", "r2", holder);
    assert.deepEqual(await rowsIn(schema, "SELECT run_id, bytes::int FROM artifact_reservations WHERE task = $1 ORDER BY run_id", [holder]), [{ run_id: "r1", bytes: 100 }]);
    // All of it goes with its run.
    await rowsIn(schema, "UPDATE runs SET state = 'succeeded' WHERE id = 'r1'");
    assert.deepEqual(await a.deleteRuns(["r1"]), ["r1"]);
    assert.deepEqual(await rowsIn(schema, "SELECT run_id FROM artifact_reservations WHERE run_id = 'r1'"), []);
  });
  test("a task's artifact room stops counting once its attempt's end is recorded, also when no files were copied for it (it kept nothing, or its engine stopped): later tasks get the room", async (t) => {
    const { a, sharedA } = await twoEngines(t);
    await aRunOf(a, "r1");
    const look = (shared: SharedStore, task: string, bytes: number) => shared.reserveArtifactRoom("r1", task, (others) => ({ bytes, result: others }));
    // prepare's attempt runs and its engine decides 800 bytes for its files.
    await a.write([taskChange("r1", "prepare", "task.started")]);
    assert.equal(await look(sharedA, "prepare", 800), 0);
    assert.equal(await look(sharedA, "other", 0), 800, "room decided for an attempt under way counts for the run");
    // Its end is recorded with nothing copied for it (its file went before it was copied; or the run went on elsewhere and the
    // engine that ended it has no folder of it): shareTaskArtifacts copies nothing, so nothing replaces the room.
    await a.write([taskChange("r1", "prepare", "task.finished", { state: "failed", finished_at: 12_000 })]);
    const data = tempDir(t);
    await shareTaskArtifacts(sharedA, data, "r1", "prepare");
    assert.equal(await look(sharedA, "train", 300), 0, "prepare kept nothing: the run holds nothing");
    // Its next attempt: what it then reserves counts again, until its end.
    await a.write([taskChange("r1", "prepare", "task.started", { attempt: 2 })]);
    assert.equal(await look(sharedA, "prepare", 100), 300);
    assert.equal(await look(sharedA, "publish", 0), 400);
  });

  test("a request reaches the engine that owns the run, once, and says what came of it", async (t) => {
    const { a, b, sharedA, sharedB } = await twoEngines(t);
    await aRunOf(a, "r1");
    await aRunOf(a, "done", "succeeded");
    await aRunOf(b, "mine");
    const ask = (runId: string) => ({ run_id: runId, kind: "cancel" as const, reason: "canceled by jane", requested_by: "jane", requested_at: 5 });
    assert.equal(await sharedB.requestRun(ask("done")), undefined, "a finished run: nothing to ask");
    assert.equal(await sharedB.requestRun(ask("mine")), undefined, "B's own run: B cancels it itself");
    assert.equal(await sharedB.requestRun(ask("nope")), undefined);
    const made = await sharedB.requestRun(ask("r1"));
    assert.deepEqual(made && { owner: made.owner, outcome: made.outcome }, { owner: "engine-a", outcome: null });
    assert.equal((await sharedB.requestRun(ask("r1")))?.id, made!.id, "asked twice before it was taken: one request");
    assert.deepEqual(await sharedB.waitingRequests(), [], "not B's to take");
    const waiting = await sharedA.waitingRequests();
    assert.deepEqual(waiting.map(({ run_id, reason, requested_by }) => ({ run_id, reason, requested_by })), [{ run_id: "r1", reason: "canceled by jane", requested_by: "jane" }]);
    assert.equal(await sharedA.settleRequest(made!.id, "done", 9), true);
    assert.equal(await sharedA.settleRequest(made!.id, "done", 9), false, "taken once");
    assert.equal((await sharedB.runRequest(made!.id))?.outcome, "done");
    assert.deepEqual(await sharedA.waitingRequests(), []);
  });

  test("a cancel asked of the engine that owns a run it is still taking up waits for it, and is answered once the run is held; one for a finished run is answered at once", async (t) => {
    const { a, sharedA, sharedB } = await twoEngines(t);
    await aRunOf(a, "arriving");
    let held = false;
    let looks = 0;
    const canceled: string[] = [];
    const requests = new RunRequests({
      shared: sharedA,
      getRun: async (id) => (looks++, (await a.getRun(id))?.run),
      // A's queues: the run is not held while it is being taken up, then it is.
      cancel: async (run) => (held ? (canceled.push(run.id), true) : false),
      now: Date.now,
      warn: () => {},
      pollMs: 50,
    });
    const made = await sharedB.requestRun({ run_id: "arriving", kind: "cancel", reason: "canceled by jane", requested_by: "jane", requested_at: Date.now() });
    requests.start();
    t.after(() => requests.stop());
    await until(() => looks >= 3, "A to look at the request three times while it does not hold the run");
    assert.equal((await sharedB.runRequest(made!.id))?.outcome, null, "not answered \"not running\" while the run is under way and A's, though not held yet");
    held = true;
    await until(async () => (await sharedB.runRequest(made!.id))?.outcome === "done", "the request to be taken once A holds the run");
    assert.deepEqual(canceled, ["arriving"]);
  });

  test("places: two engines taking them at once never pass the pipeline's concurrency; a run's end gives its place and its lock units back, and says so when a run waits", async (t) => {
    const { a, b, schema, sharedA, sharedB } = await twoEngines(t);
    const ids = Array.from({ length: 20 }, (_, index) => `r${String(index).padStart(2, "0")}`);
    for (const [index, id] of ids.entries()) await aRunOf(index % 2 ? b : a, id, "queued");
    const taken = await Promise.all(ids.map((id, index) => (index % 2 ? sharedB : sharedA).takePlace({ run_id: id, namespace: "home", pipeline: "backup", partition: null }, 3)));
    assert.equal(taken.filter((outcome) => outcome === "running").length, 3, taken.join(" "));
    assert.equal(taken.filter((outcome) => outcome === "busy").length, 17);
    assert.equal(await sharedA.takePlace({ run_id: ids[1]!, namespace: "home", pipeline: "backup", partition: null }, 10), "gone", "a run of another engine's takes no place here");

    // A waiting run, and a running one that holds 2 units of the lock db: the queue as the next decision reads it.
    const [first, second] = ids.filter((_, index) => taken[index] === "busy" && index % 2 === 0);
    await sharedA.holdPlace({ namespace: "home", pipeline: "backup", locks: ["db"] }, { run_id: first!, partition: "eu", locks: [] }, "waiting");
    await sharedA.holdPlace({ namespace: "home", pipeline: "backup", locks: ["db"] }, { run_id: second!, partition: null, locks: [{ name: "db", count: 2 }] }, "running");
    const read = (shared = sharedB) => shared.settlePlaces({ namespace: "home", pipeline: "backup", locks: ["db"] }, (queue) => ({ result: queue }));
    const queue = (await read()).result;
    assert.equal(queue.places.filter((place) => place.place === "running").length, 4);
    // Engine a beats nowhere (no roster here): to b, its waiting run is a silent engine's, which holds no one up; to a, its own.
    assert.deepEqual(queue.places.filter((place) => place.place === "waiting").map(({ run_id, partition, live }) => ({ run_id, partition, live })), [{ run_id: first, partition: "eu", live: false }]);
    assert.equal((await read(sharedA)).result.places.find((place) => place.run_id === first)?.live, true);
    assert.deepEqual(queue.held, { db: 2 });

    const heard: string[] = [];
    const listener = new Listener({ connectionString: POSTGRES_URL });
    // Subscribed before it connects: start() resolves once it listens.
    listener.on(PLACES_CHANNEL, (payload) => heard.push(payload));
    await listener.start();
    t.after(() => listener.stop());
    const end = (store: Store, id: string) => store.write([{ event: anEvent(id, "run.finished", { data: { state: "succeeded" } }), run: { id, state: "succeeded", finished_at: 20_000 } }]);
    await end(a, second!);
    await waitUntil(async () => heard.includes(""));
    const after = (await read()).result;
    assert.equal(after.places.filter((place) => place.place === "running").length, 3, "its place is given back");
    assert.deepEqual(after.held, {}, "and its lock units");
    assert.deepEqual(await rowsIn(schema, "SELECT count(*)::int AS n FROM run_places WHERE run_id = $1", [second]), [{ n: 0 }]);
    // A run ended while one of its pipeline waits: that pipeline is named.
    const running = taken.findIndex((outcome) => outcome === "running");
    await end(running % 2 ? b : a, ids[running]!);
    await waitUntil(async () => heard.includes("home/backup"));
  });

  test("places taken with new runs: two engines making runs at once never pass the concurrency; a queue held elsewhere is not waited for, and a run not made takes none", async (t) => {
    const { schema, sharedA, sharedB } = await twoEngines(t);
    const ids = Array.from({ length: 12 }, (_, index) => `n${String(index).padStart(2, "0")}`);
    const made = await Promise.all(
      ids.map((id, index) => {
        const run = aRun(id);
        return (index % 2 ? sharedB : sharedA).createPlacedRun(run, runCreated(run), undefined, 3);
      }),
    );
    assert.deepEqual(made.map(({ created }) => created.run_id), ids, "each run is stored, with its run.created");
    const places = await rowsIn(schema, "SELECT run_id, place FROM run_places ORDER BY run_id");
    const running = made.flatMap(({ place }, index) => (place === "running" ? [ids[index]] : []));
    assert.ok(running.length <= 3, made.map(({ place }) => place ?? "none").join(" "));
    assert.deepEqual(places, running.map((run_id) => ({ run_id, place: "running" })), "a place only for the runs told running");
    // Those whose queue was being decided at that instant took none: takePlace after, as admission asks, fills it exactly.
    const after = await Promise.all(made.flatMap(({ place }, index) => (place === undefined ? [(index % 2 ? sharedB : sharedA).takePlace({ run_id: ids[index]!, namespace: "home", pipeline: "backup", partition: null }, 3)] : [])));
    assert.equal(running.length + after.filter((outcome) => outcome === "running").length, 3);

    // A queue another transaction holds (a decision under way): the new run is stored at once, without a place.
    const held = new pg.Client({ connectionString: POSTGRES_URL });
    await held.connect();
    t.after(() => held.end());
    await held.query(`SET search_path = ${pg.escapeIdentifier(schema)}`);
    await held.query("BEGIN");
    await held.query("SELECT pg_advisory_xact_lock(hashtext('spire: queue ' || current_schema()), hashtext('home/other'))");
    const lone = aRun("lone", { pipeline: "other" });
    const stored = await sharedA.createPlacedRun(lone, runCreated(lone), undefined, 5);
    assert.equal(stored.place, undefined, "no place tried");
    assert.deepEqual(await rowsIn(schema, "SELECT state FROM runs WHERE id = 'lone'"), [{ state: "queued" }]);
    await held.query("COMMIT");
    const free = aRun("free", { pipeline: "other" });
    assert.equal((await sharedA.createPlacedRun(free, runCreated(free), undefined, 5)).place, "running", "once the queue is let go, a place is taken");

    // A run whose definition changed since the engine saw it is not made, and takes no place.
    const stale = aRun("stale", { pipeline: "other" });
    await assert.rejects(sharedB.createPlacedRun(stale, runCreated(stale), { madeFrom: { digest: "not-this", namespaceUpdatedAt: null } }, 5), /changed/);
    assert.deepEqual(await rowsIn(schema, "SELECT count(*)::int AS n FROM run_places WHERE run_id = 'stale'"), [{ n: 0 }]);
  });

  test("a new run started with its creation: started in the transaction that makes it when it takes a running place, stored queued without its start when it does not, and nothing of it when it is not made", async (t) => {
    const { a, schema, sharedA, sharedB } = await twoEngines(t);
    /** A run's start as its controller writes it: the run running, and one task started, each with its event. */
    const startOf = (id: string, messages = false) => [
      { event: anEvent(id, "run.started", { ts: 10_500 }), run: { id, state: "running" as const, started_at: 10_500 } },
      { event: anEvent(id, "task.started", { ts: 10_600, task_path: "dump", attempt: 1 }), task: aTask(id, "dump", { started_at: 10_600, ...(messages ? { messages: [{ level: "warning" as const, text: "w", ts: 10_600, stream: "stdout" as const }] } : {}) }) },
    ];
    const first = aRun("s1", { pipeline: "solo" });
    const made = await sharedA.createPlacedRun(first, runCreated(first), undefined, 1, startOf("s1"));
    assert.equal(made.place, "running");
    assert.deepEqual(made.started?.map((event) => [event.type, event.seq > made.created.seq]), [["run.started", true], ["task.started", true]]);
    // One transaction: the run's row (made, then started) and its task's row carry the same transaction id.
    const [row] = await rowsIn(schema, "SELECT r.state, r.started_at::int AS started_at, r.xmin::text = t.xmin::text AS together FROM runs AS r JOIN task_runs AS t ON t.run_id = r.id WHERE r.id = 's1'");
    assert.deepEqual(row, { state: "running", started_at: 10_500, together: true });
    assert.deepEqual((await a.listEvents("s1", 0, 10)).map((event) => event.type), ["run.created", "run.started", "task.started"]);

    // Its pipeline has no room: stored queued, without its start.
    const second = aRun("s2", { pipeline: "solo" });
    const busy = await sharedB.createPlacedRun(second, runCreated(second), undefined, 1, startOf("s2"));
    assert.deepEqual([busy.place, busy.started], ["busy", undefined]);
    assert.deepEqual(await rowsIn(schema, "SELECT state, started_at, (SELECT count(*)::int FROM task_runs WHERE run_id = 's2') AS tasks FROM runs WHERE id = 's2'"), [{ state: "queued", started_at: null, tasks: 0 }]);
    assert.deepEqual((await a.listEvents("s2", 0, 10)).map((event) => event.type), ["run.created"]);

    // Many at once from two engines, batched: exactly those told started run, each with its task and events in order.
    const ids = Array.from({ length: 10 }, (_, index) => `m${index}`);
    const many = await Promise.all(ids.map((id, index) => (index % 2 ? sharedB : sharedA).createPlacedRun(aRun(id, { pipeline: "many" }), runCreated(aRun(id)), undefined, 3, startOf(id))));
    const started = ids.filter((_, index) => many[index]!.started !== undefined);
    assert.ok(started.length >= 1 && started.length <= 3, started.join(" "));
    const states = await rowsIn(schema, "SELECT r.id, r.state, count(t.path)::int AS tasks FROM runs AS r LEFT JOIN task_runs AS t ON t.run_id = r.id WHERE r.pipeline = 'many' GROUP BY r.id, r.state ORDER BY r.id");
    assert.deepEqual(states, ids.map((id) => (started.includes(id) ? { id, state: "running", tasks: 1 } : { id, state: "queued", tasks: 0 })));
    for (const id of started) assert.deepEqual((await a.listEvents(id, 0, 10)).map((event) => event.type), ["run.created", "run.started", "task.started"], id);

    // A start its creation's statement cannot hold (a task with messages) is left to the caller: the run is made, with its place.
    const left = aRun("s5", { pipeline: "left" });
    const alone = await sharedA.createPlacedRun(left, runCreated(left), undefined, 1, startOf("s5", true));
    assert.deepEqual([alone.place, alone.started], ["running", undefined]);
    assert.deepEqual(await rowsIn(schema, "SELECT state, (SELECT count(*)::int FROM task_runs WHERE run_id = 's5') AS tasks FROM runs WHERE id = 's5'"), [{ state: "queued", tasks: 0 }]);
    // The engine's new run (UnstoredRun) then writes it after the creation, the run having taken its place.
    const apart = aRun("s3", { pipeline: "apart" });
    const written = await new UnstoredRun(sharedA, (changes) => a.write(changes), apart, runCreated(apart), {}, 1).storeWith(startOf("s3", true));
    assert.deepEqual(written.started?.map((event) => event.type), ["run.started", "task.started"]);
    assert.deepEqual(await rowsIn(schema, "SELECT state FROM runs WHERE id = 's3'"), [{ state: "running" }]);

    // A run whose definition changed since the engine saw it: nothing of it, its start neither.
    const stale = aRun("s4", { pipeline: "apart2" });
    await assert.rejects(sharedB.createPlacedRun(stale, runCreated(stale), { madeFrom: { digest: "not-this", namespaceUpdatedAt: null } }, 5, startOf("s4")), /changed/);
    assert.deepEqual(await rowsIn(schema, "SELECT (SELECT count(*)::int FROM runs WHERE id = 's4') AS runs, (SELECT count(*)::int FROM events WHERE run_id = 's4') AS events"), [{ runs: 0, events: 0 }]);
  });

  test("task locks: tasks of two engines taking units at once never pass the capacity, which a whole run's units count in; an attempt's end, its run's end and its run's move give them back", async (t) => {
    const { a, b, schema, sharedA, sharedB } = await twoEngines(t);
    for (const [index, id] of ["r0", "r1", "r2", "r3"].entries()) await aRunOf(index % 2 ? b : a, id);
    const sharedOf = (run: string) => (Number(run.slice(1)) % 2 ? sharedB : sharedA);
    const db = (count = 1) => [{ name: "db", count, capacity: 3 }];
    const take = (run: string, task: string, count = 1, attempt = 1) => sharedOf(run).takeTaskLocks({ run_id: run, task, attempt }, db(count), false);
    // A whole run holds one unit of 3: twelve tasks of both engines at once, and two of them get the two left.
    await sharedA.holdPlace({ namespace: "home", pipeline: "backup", locks: ["db"] }, { run_id: "r0", partition: null, locks: [{ name: "db", count: 1 }] }, "running");
    const tasks = Array.from({ length: 12 }, (_, index) => ({ run: `r${index % 4}`, task: `t${index}` }));
    const taken = await Promise.all(tasks.map(({ run, task }) => take(run, task)));
    assert.equal(taken.filter((outcome) => outcome === "taken").length, 2, taken.join(" "));
    assert.equal(taken.filter((outcome) => outcome === "busy").length, 10);
    const holders = tasks.filter((_, index) => taken[index] === "taken");
    const held = async () => (await sharedB.settlePlaces({ namespace: "home", pipeline: "backup", locks: ["db"] }, (queue) => ({ result: queue.held }))).result;
    assert.deepEqual(await held(), { db: 3 }, "a whole run's decision counts the tasks' units");
    assert.equal(await take(holders[0]!.run, holders[0]!.task), "taken", "a holder asking again is not held up by its own units");
    assert.equal(await sharedA.takeTaskLocks({ run_id: "r1", task: "x", attempt: 1 }, db(), false), "gone", "a run of another engine's takes nothing here");
    assert.equal(await sharedA.takeTaskLocks({ run_id: "r0", task: "x", attempt: 1 }, db(), true), "taken", "an attempt already running takes its units beyond the capacity");
    assert.deepEqual(await held(), { db: 4 });

    const heard: string[] = [];
    const listener = new Listener({ connectionString: POSTGRES_URL });
    listener.on(PLACES_CHANNEL, (payload) => heard.push(payload));
    await listener.start();
    t.after(() => listener.stop());
    // The adopted attempt's end is recorded: its units go in that write, and the engines are told.
    await a.write([taskChange("r0", "x", "task.started", { state: "running" })]);
    assert.deepEqual(await held(), { db: 4 }, "an attempt recorded as running keeps its units");
    await a.write([taskChange("r0", "x", "task.finished", { state: "succeeded", finished_at: 13_000 })]);
    assert.deepEqual(await held(), { db: 3 });
    await waitUntil(async () => heard.includes(""));
    // A run moves to another engine: units of its attempts not recorded as running go; recorded ones stay until their end is.
    const moving = holders.find((holder) => holder.run !== "r0") ?? holders[0]!;
    await sharedOf(moving.run).takeTaskLocks({ run_id: moving.run, task: "recorded", attempt: 1 }, db(), true);
    await (Number(moving.run.slice(1)) % 2 ? b : a).write([taskChange(moving.run, "recorded", "task.started", { state: "running" })]);
    const unitsOf = async (run: string) => (await rowsIn(schema, "SELECT task FROM task_lock_holds WHERE run_id = $1 ORDER BY task", [run])).map((row) => row.task);
    assert.ok((await unitsOf(moving.run)).includes(moving.task));
    await rowsIn(schema, "UPDATE runs SET owner = 'engine-c' WHERE id = $1", [moving.run]);
    assert.deepEqual(await unitsOf(moving.run), ["recorded"]);
    // A run's end gives back the units of all its attempts.
    const end = (store: Store, id: string) => store.write([{ event: anEvent(id, "run.finished", { data: { state: "failed" } }), run: { id, state: "failed", finished_at: 20_000 } }]);
    for (const run of ["r0", "r2"]) await end(a, run);
    await end(b, "r3");
    await rowsIn(schema, "UPDATE runs SET state = 'interrupted' WHERE id = 'r1'");
    assert.deepEqual(await rowsIn(schema, "SELECT * FROM task_lock_holds"), []);
    assert.deepEqual(await held(), {});
  });
  test("missed records one engine stores are read by another in seq order, and told with their commit; so is a removal of runs, and only when some were removed", async (t) => {
    const { a, b, schema, sharedB } = await twoEngines(t);
    // Each notice names its schema: those of other tests' schemas on this database are not this test's.
    const heard: string[] = [];
    const listener = new Listener({ connectionString: POSTGRES_URL });
    listener.on(MISSED_CHANNEL, (from) => from === schema && heard.push("missed"));
    listener.on(RUNS_REMOVED_CHANNEL, (from) => from === schema && heard.push("removed"));
    await listener.start();
    t.after(() => listener.stop());
    assert.equal(await sharedB.latestMissedSeq(), 0);
    const claimOf = (pipeline: string) => ({ namespace: "ns", pipeline, trigger_key: "0:every", runs: [], missed: { count: 1, count_exact: true, first_slot: 1_000, last_slot: 1_000, slots: [1_000], reason: "the pipeline was paused" } });
    for (const pipeline of ["p", "q"]) await a.ensureSchedule("ns", pipeline, "0:every", 0);
    const stored = (await a.claimSlots([claimOf("p"), claimOf("q")], 1_500)).map((result) => result.missed!);
    await waitUntil(async () => heard.includes("missed"));
    assert.equal(await sharedB.latestMissedSeq(), stored[1]!.seq);
    assert.deepEqual(await sharedB.missedSince(0, 10), stored);
    assert.deepEqual(await sharedB.missedSince(stored[0]!.seq, 10), [stored[1]]);
    assert.deepEqual(await sharedB.missedSince(0, 1), [stored[0]]);

    await aRunOf(a, "r1", "succeeded");
    await aRunOf(a, "r2", "running");
    assert.deepEqual(await b.deleteRuns(["r2", "unknown"]), [], "nothing removed: nobody told");
    assert.deepEqual(await b.deleteRuns(["r1"]), ["r1"]);
    // Notices come in the order of their commits: one from the first delete would have come before this one.
    await waitUntil(async () => heard.includes("removed"));
    assert.deepEqual(heard, ["missed", "removed"]);
  });
});

async function waitUntil(check: () => Promise<boolean>, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
