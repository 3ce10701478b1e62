/** The engine-wide event stream: every run's events live, pipeline changes, and resuming with Last-Event-ID. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { readFrames, type Frame } from "../helpers/sse.js";
import { startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

const PIPELINE = "pipelines:\n  quick:\n    tasks:\n      a: { run: echo one }\n      b: { run: echo two, needs: [a] }\n";

async function startRun(api: Api): Promise<string> {
  const response = await api.call("POST", "/pipelines/test/quick/runs", { as: "run", body: {} });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

test("one stream carries every run's events as they happen, and pipeline changes", async (t) => {
  const api = await startApi(t);
  const response = await api.call("GET", "/events", { as: "read" });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const ids: string[] = [];
  const reading = readFrames(response, (frame) => frame.event === "run.finished" && ids.length === 2 && JSON.parse(frame.data).run_id === ids[1]);
  await api.apply(PIPELINE);
  ids.push(await startRun(api));
  ids.push(await startRun(api));
  const frames = await reading;
  const created = frames.find((frame) => frame.event === "run.created")!;
  assert.deepEqual([JSON.parse(created.data).data.namespace, JSON.parse(created.data).data.pipeline], ["test", "quick"], "run.created names its pipeline");
  const changes = frames.filter((frame) => frame.event === "pipelines").map((frame) => JSON.parse(frame.data));
  assert.deepEqual(changes[0], { action: "apply", target: "test" });
  const events = frames.filter((frame): frame is Frame & { id: string } => frame.id !== undefined);
  for (const id of ids) {
    const types = events.filter((frame) => JSON.parse(frame.data).run_id === id).map((frame) => frame.event);
    assert.deepEqual(types.filter((type) => type.startsWith("run.")), ["run.created", "run.started", "run.finished"], `run ${id}`);
    assert.equal(types.filter((type) => type === "task.finished").length, 2);
  }
  const seqs = events.map((frame) => Number(frame.id));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "in the order they were recorded");
  assert.equal(new Set(seqs).size, seqs.length, "none twice");

  // The answer's headers come after the engine has subscribed the stream: nothing sent after them is missed.
  const stream = await api.call("GET", "/events", { as: "read" });
  const paused = readFrames(stream, (frame) => frame.event === "pipelines");
  assert.equal((await api.call("POST", "/pipelines/test/quick/pause", { as: "run" })).status, 200);
  const [change] = (await paused).filter((frame) => frame.event === "pipelines");
  assert.deepEqual(JSON.parse(change!.data), { action: "pipeline.pause", target: "test/quick" });
});

test("Last-Event-ID (or ?after=) sends what was recorded since, then goes on live; without, only what comes next", async (t) => {
  const api = await startApi(t);
  await api.apply(PIPELINE);
  const first = await startRun(api);
  await readFrames(await api.call("GET", `/runs/${first}/events`, { as: "read" }));
  const stored = (await api.store.listEventsSince(0, 100)).filter((event) => event.run_id === first);
  const resumeAt = stored[1]!.seq;

  const resumed = await api.call("GET", "/events", { as: "read", headers: { "last-event-id": String(resumeAt) } });
  const second = { id: "" };
  const frames = readFrames(resumed, (frame) => frame.event === "run.finished" && second.id !== "" && JSON.parse(frame.data).run_id === second.id);
  const viaQuery = await api.call("GET", `/events?after=${resumeAt}`, { as: "read" });
  const queryFrames = readFrames(viaQuery, (frame) => frame.event === "run.finished");
  const fresh = await api.call("GET", "/events", { as: "read" });
  const freshFrames = readFrames(fresh, (frame) => frame.event === "run.finished");
  second.id = await startRun(api);

  const got = (await frames).filter((frame) => frame.id !== undefined);
  assert.deepEqual(
    got.filter((frame) => JSON.parse(frame.data).run_id === first).map((frame) => Number(frame.id)),
    stored.slice(2).map((event) => event.seq),
    "the first run's events after the one named, each once",
  );
  assert.ok(got.some((frame) => JSON.parse(frame.data).run_id === second.id), "then the live ones");
  assert.deepEqual((await queryFrames).filter((frame) => frame.id !== undefined).map((frame) => Number(frame.id)).slice(0, stored.length - 2), stored.slice(2).map((event) => event.seq));
  const live = (await freshFrames).filter((frame) => frame.id !== undefined);
  assert.ok(live.every((frame) => JSON.parse(frame.data).run_id === second.id), "a new stream starts with what happens next");

  const bad = await api.call("GET", "/events?after=x", { as: "read" });
  assert.equal(bad.status, 400);
  assert.equal((await api.call("GET", "/events", { as: null })).status, 401);
});
