/**
 * The engine-wide event stream (GET /events, what the web UI's lists follow)
 * among engines sharing one PostgreSQL: a stream open on B carries the runs
 * A runs, live, in seq order with B's own. It used to carry B's runs only.
 * Slots recorded as missed by one engine reach every engine's stream, once:
 * they used to reach only the stream of the engine that recorded them.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiStartRun, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { readFrames, type Frame } from "../helpers/sse.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, rowsIn } from "../helpers/postgres.js";
import { until } from "../helpers/poll.js";
import { engineStarter } from "./shared-store.js";

checkNoLeftoverProcesses();

function openStream(engine: RunningEngine, signal: AbortSignal): Promise<Response> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  return fetch(`${engine.url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal });
}

/** Engines a and b on a new schema with a pipeline s/hello (and s/hourly, every hour), and b's engine-wide stream open. */
async function streamOfB(t: TestContext): Promise<{ a: RunningEngine; b: RunningEngine; abort: AbortController; response: Response; schema: string }> {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-stream-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `namespace: s\npipelines:\n  hello:\n    tasks:\n      t: { run: "true" }\n  hourly:\n    triggers: [{ every: 1h }]\n    tasks:\n      t: { run: "true" }\n`);
  const { start } = engineStarter(t, { dir, schema, file });
  const a = await start("a");
  const b = await start("b");
  const abort = new AbortController();
  t.after(() => abort.abort());
  const response = await openStream(b, abort.signal);
  assert.equal(response.status, 200);
  return { a, b, abort, response, schema };
}

test("the engine-wide stream of one engine carries the runs of another sharing its store, live and in seq order with its own", async (t) => {
  const { a, b, abort, response } = await streamOfB(t);

  // Heartbeats aside, nothing comes before the runs: a run through A, then one through B, each to its end.
  const ids: string[] = [];
  const finishedOf = new Set<string>();
  const framesRead = readFrames(response, (frame) => {
    if (frame.event === "run.finished") finishedOf.add((JSON.parse(frame.data) as { run_id: string }).run_id);
    return ids.length === 2 && ids.every((id) => finishedOf.has(id));
  });
  ids.push(await apiStartRun(a, "s/hello"));
  ids.push(await apiStartRun(b, "s/hello"));
  const frames: Frame[] = await Promise.race([
    framesRead,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`B's stream did not carry both runs to their ends within 15 s: ${[...finishedOf].join(", ")}`)), 15_000)),
  ]);
  const events = frames.filter((frame) => frame.id !== undefined).map((frame) => ({ seq: Number(frame.id), type: frame.event, run: (JSON.parse(frame.data) as { run_id: string }).run_id }));
  for (const id of ids) {
    const types = events.filter((event) => event.run === id).map((event) => event.type);
    assert.equal(types[0], "run.created", `${id}: ${types.join(", ")}`);
    assert.equal(types.at(-1), "run.finished", `${id}: ${types.join(", ")}`);
  }
  const seqs = events.map((event) => event.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), "in seq order");
  assert.equal(new Set(seqs).size, seqs.length, "none twice");
  abort.abort();
  await stopEngine(a);
  await stopEngine(b);
});

test("the engine-wide stream of one engine says when a pipeline was changed through another (applied, paused), as it does for its own changes", async (t) => {
  const { a, b, abort, response } = await streamOfB(t);
  const framesRead = readFrames(response, (frame) => frame.event === "pipelines");
  const token = readFileSync(join(a.data, "token"), "utf8").trim();
  const paused = await fetch(`${a.url}/api/v1/pipelines/s/hello/pause`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
  assert.equal(paused.status, 200, await paused.text());
  // B hears A's notice of the change (or reads again within a minute): its stream says a pipeline changed.
  const frames: Frame[] = await Promise.race([
    framesRead,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("B's stream said nothing of the pause through A within 10 s")), 10_000)),
  ]);
  assert.equal(frames.at(-1)?.event, "pipelines");
  abort.abort();
  await stopEngine(a);
  await stopEngine(b);
});

test("slots one engine records as missed reach the engine-wide stream of every engine sharing its store, once each", async (t) => {
  const { a, b, abort, response: streamB, schema } = await streamOfB(t);
  const streamA = await openStream(a, abort.signal);
  assert.equal(streamA.status, 200);
  const token = readFileSync(join(a.data, "token"), "utf8").trim();
  const post = (path: string) => fetch(`${a.url}/api/v1/pipelines/s/hourly/${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
  // Ten hours of the hourly schedule pass while it is paused (its anchor moved back): resumed through A, A records them as missed.
  await until(async () => (await rowsIn(schema, "SELECT 1 FROM schedules WHERE pipeline = 'hourly'")).length > 0, "the hourly schedule to be stored", 10_000);
  assert.equal((await post("pause")).status, 200);
  await rowsIn(schema, "UPDATE schedules SET anchor = anchor - 36000000, last_slot = last_slot - 36000000 WHERE pipeline = 'hourly'");
  // Each stream is read until it has carried the missed record and then a run started after it to its end: a second
  // copy of the record (A's bus and the store both) would have come by then.
  let sentinel: string | undefined;
  const readUntilDone = (stream: Response) => {
    let missed = 0;
    return readFrames(stream, (frame) => {
      if (frame.event === "missed") missed++;
      return missed > 0 && sentinel !== undefined && frame.event === "run.finished" && (JSON.parse(frame.data) as { run_id: string }).run_id === sentinel;
    });
  };
  const read = Promise.all([readUntilDone(streamA), readUntilDone(streamB)]);
  assert.equal((await post("resume")).status, 200);
  sentinel = await apiStartRun(a, "s/hello");
  const [framesA, framesB] = await Promise.race([
    read,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the streams did not both carry the missed record and a later run within 15 s")), 15_000)),
  ]);
  for (const [name, frames] of [["A", framesA], ["B", framesB]] as const) {
    const missed = frames.filter((frame) => frame.event === "missed").map((frame) => JSON.parse(frame.data) as { pipeline: string; count: number; reason: string });
    assert.equal(missed.length, 1, `${name}'s stream carries the record once: ${JSON.stringify(missed)}`);
    assert.equal(missed[0]!.pipeline, "hourly");
    assert.ok(missed[0]!.count >= 9, `the ten hours' slots: ${missed[0]!.count}`);
    assert.match(missed[0]!.reason, /paused/);
  }
  abort.abort();
  await stopEngine(a);
  await stopEngine(b);
});
