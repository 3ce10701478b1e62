/** Server-Sent Events of a run: replay after Last-Event-ID, live events and logs, heartbeat, the end. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { startApi, type Api } from "./harness.js";
import { readFrames, type Frame } from "../helpers/sse.js";

checkNoLeftoverProcesses();

const events = (api: Api, id: string, headers: Record<string, string> = {}, query = "") =>
  api.call("GET", `/runs/${id}/events${query}`, { as: "read", headers });

async function finishedRunId(api: Api): Promise<string> {
  await api.apply("pipelines:\n  quick:\n    tasks:\n      a: { run: echo one }\n      b: { run: echo two, needs: [a] }\n");
  const { id } = (await (await api.call("POST", "/pipelines/test/quick/runs", { as: "run", body: {} })).json()) as { id: string };
  const done = await readFrames(await events(api, id));
  assert.equal(done.at(-1)?.event, "run.finished");
  return id;
}

test("a finished run: the whole history, then the end; Last-Event-ID and ?after= resume after that seq", async (t) => {
  const api = await startApi(t);
  const id = await finishedRunId(api);
  const response = await events(api, id);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  assert.equal(response.headers.get("cache-control"), "no-store");
  const all = (await readFrames(response)).filter((frame) => frame.id !== undefined);
  assert.equal(all[0]?.event, "run.created");
  assert.equal(all.at(-1)?.event, "run.finished");
  const seqs = all.map((frame) => Number(frame.id));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "in seq order");
  for (const frame of all) assert.equal(JSON.parse(frame.data).seq, Number(frame.id));

  const middle = all[Math.floor(all.length / 2)]!;
  const resumed = (await readFrames(await events(api, id, { "last-event-id": middle.id! }))).filter((frame) => frame.id !== undefined);
  assert.deepEqual(resumed.map((frame) => frame.id), all.filter((frame) => Number(frame.id) > Number(middle.id)).map((frame) => frame.id));
  const viaQuery = (await readFrames(await events(api, id, {}, `?after=${middle.id}`))).filter((frame) => frame.id !== undefined);
  assert.deepEqual(viaQuery.map((frame) => frame.id), resumed.map((frame) => frame.id));
  const pastTheEnd = (await readFrames(await events(api, id, { "last-event-id": all.at(-1)!.id! }))).filter((frame) => frame.id !== undefined);
  assert.deepEqual(pastTheEnd, [], "after the last event: nothing, and the stream still ends");
});

test("bad Last-Event-ID is a 400; an unknown run a 404 before any stream", async (t) => {
  const api = await startApi(t);
  const bad = await events(api, "0000000000000000", { "last-event-id": "abc" });
  assert.equal(bad.status, 400);
  assert.ok(((await bad.json()) as { error: { details: string[] } }).error.details[0]!.startsWith("header.last-event-id:"));
  const unknown = await events(api, "0000000000000000");
  assert.equal(unknown.status, 404);
});

test("a live run: replay, then live state changes, log lines and progress, heartbeats, and the end after run.finished", async (t) => {
  const api = await startApi(t, { heartbeatMs: 50 });
  const gate = join(api.dir, "go");
  await api.apply(
    `pipelines:\n  slow:\n    tasks:\n      wait:\n        run: 'echo before; echo "::progress::1/4"; while [ ! -f "${gate}" ]; do sleep 0.02; done; echo after'\n`,
  );
  const { id } = (await (await api.call("POST", "/pipelines/test/slow/runs", { as: "run", body: {} })).json()) as { id: string };
  const seen = { heartbeat: false, progress: false, before: false };
  const frames = await readFrames(await events(api, id), (frame) => {
    if (frame.comment === "heartbeat") seen.heartbeat = true;
    if (frame.event === "progress") seen.progress = true;
    if (frame.event === "log" && JSON.parse(frame.data).line === "before") seen.before = true;
    // The task is released once a heartbeat, its progress and its first line have come through.
    if (seen.heartbeat && seen.progress && seen.before) void writeFile(gate, "");
    return false;
  });
  const logs = frames.filter((frame) => frame.event === "log");
  assert.deepEqual(logs.map((frame) => JSON.parse(frame.data).line), ["before", "::progress::1/4", "after"], "markers stay in the log");
  assert.equal(logs[0]!.id, undefined, "log lines carry no id");
  assert.deepEqual(JSON.parse(logs[0]!.data), { task: "wait", attempt: 1, ts: JSON.parse(logs[0]!.data).ts, stream: "stdout", line: "before" });
  const progress = frames.find((frame) => frame.event === "progress");
  assert.deepEqual(JSON.parse(progress!.data), { task: "wait", done: 1, total: 4 });
  assert.equal(progress!.id, undefined, "progress carries no id");
  const states = frames.filter((frame) => frame.id !== undefined).map((frame) => frame.event);
  assert.equal(states[0], "run.created");
  assert.ok(states.includes("task.started"));
  assert.equal(states.at(-1), "run.finished");
  const ids = frames.filter((frame) => frame.id !== undefined).map((frame) => Number(frame.id));
  assert.equal(new Set(ids).size, ids.length, "no event twice (replay and live overlap)");
});

test("each follower gets its own log lines: a late one still gets them all, ?logs=new only what comes next, ?logs=none none", async (t) => {
  const api = await startApi(t);
  const gate = join(api.dir, "go");
  await api.apply(`pipelines:\n  slow:\n    tasks:\n      wait:\n        run: 'echo early; while [ ! -f "${gate}" ]; do sleep 0.02; done; echo late'\n`);
  const { id } = (await (await api.call("POST", "/pipelines/test/slow/runs", { as: "run", body: {} })).json()) as { id: string };
  const lines = (frames: Frame[]) => frames.filter((frame) => frame.event === "log").map((frame) => JSON.parse(frame.data).line as string);
  // The first follower has seen "early": the line is written, and every later follower joins after it.
  let firstSawEarly!: () => void;
  const early = new Promise<void>((resolve) => (firstSawEarly = resolve));
  const first = readFrames(await events(api, id), (frame) => {
    if (frame.event === "log") firstSawEarly();
    return false;
  });
  await early;
  const late = readFrames(await events(api, id), (frame) => {
    if (frame.event === "log") void writeFile(gate, "");
    return false;
  });
  const fresh = readFrames(await events(api, id, {}, "?logs=new"));
  const none = readFrames(await events(api, id, {}, "?logs=none"));
  assert.deepEqual(lines(await first), ["early", "late"]);
  assert.deepEqual(lines(await late), ["early", "late"]);
  assert.deepEqual(lines(await fresh), ["late"]);
  assert.deepEqual(lines(await none), []);
  assert.equal((await none).at(-1)?.event, "run.finished");
  const bad = await events(api, id, {}, "?logs=some");
  assert.equal(bad.status, 400);
});

test("closing the server ends open event streams", async (t) => {
  const api = await startApi(t);
  await api.apply(`pipelines:\n  forever:\n    tasks:\n      wait: { run: 'while [ ! -f "${join(api.dir, "never")}" ]; do sleep 0.05; done' }\n`);
  const { id } = (await (await api.call("POST", "/pipelines/test/forever/runs", { as: "run", body: {} })).json()) as { id: string };
  const response = await events(api, id);
  const reading = readFrames(response);
  await api.server.close();
  const frames = await reading;
  assert.equal(frames[0]?.event, "message", "the stream opened (retry frame) and then ended");
  await api.call("POST", `/runs/${id}/cancel`).catch(() => undefined);
  await api.engine.drain(0);
});

test("a run's definition stays the one it was made with after the pipeline is applied anew", async (t) => {
  const api = await startApi(t);
  const id = await finishedRunId(api);
  await api.apply("pipelines:\n  quick:\n    tasks:\n      other: { run: echo three }\n");
  const response = await api.call("GET", `/runs/${id}/definition`, { as: "read" });
  assert.equal(response.status, 200);
  const { definition } = (await response.json()) as { definition: { tasks: Record<string, unknown> } };
  assert.deepEqual(Object.keys(definition.tasks).sort(), ["a", "b"]);
  assert.equal((await api.call("GET", "/runs/0000000000000000/definition", { as: "read" })).status, 404);
});
