/**
 * What the UI's pipeline pages read, each in one request: every pipeline
 * with its newest runs (GET /pipelines?recent=N), one pipeline with its
 * triggers in words, next slots and DST changes, its YAML and origin, and
 * its history grid with duration percentiles; and a pause with its reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, finishedRun, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

const YAML = `
metadata: { author: jane }
pipelines:
  # the grid's pipeline
  grid:
    description: Tasks in a row, a retry, an array
    args:
      fail: { type: boolean, default: false }
    tasks:
      first: { run: "true" }
      second:
        needs: [first]
        run: '[ "$SPIRE_ARG_FAIL" = false ]'
      flaky:
        run: '[ "$SPIRE_ATTEMPT" = 2 ]'
        retries: { max: 1, backoff: 10ms }
      shards:
        repeat: 2
        run: "true"
  timed:
    description: Two clocks and a hook
    triggers:
      - cron: "0 12 * 3,4,10,11 *"   # noon, in the months DST starts and ends
        timezone: Europe/Berlin
      - every: 15m
      - webhook: true
    tasks:
      noop: { run: "true" }
  quiet:
    tasks:
      noop: { run: "true" }
`;

interface Summary {
  name: string;
  paused: boolean;
  paused_reason: string | null;
  paused_by: string | null;
  paused_at: string | null;
  last_run: { id: string } | null;
  recent?: { id: string; state: string; created_at: string; duration_ms: number | null }[];
  trigger_info: { key: string; kind: string; description: string; next_fire_at: string | null; next?: { at: string; offset: string; offset_change: { before: string; after: string } | null }[] }[];
  next_fire_at: string | null;
}

async function run(api: Api, pipeline: string, args: Record<string, unknown> = {}): Promise<string> {
  const response = await api.call("POST", `/pipelines/test/${pipeline}/runs`, { as: "run", body: { args } });
  assert.equal(response.status, 201, await response.clone().text());
  const id = ((await response.json()) as { id: string }).id;
  await finishedRun(api, id);
  return id;
}

async function get<T>(api: Api, path: string): Promise<T> {
  const response = await api.call("GET", path, { as: "read" });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function assert400(api: Api, path: string, message: RegExp, options: { method?: string; body?: unknown } = {}): Promise<void> {
  const response = await api.call(options.method ?? "GET", path, { as: "run", ...(options.body !== undefined ? { body: options.body } : {}) });
  assert.equal(response.status, 400, path);
  assert.match((await errorOf(response)).message, message, path);
}

test("GET /pipelines?recent=N gives each pipeline's newest N runs, newest first, in one answer; none unless asked", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push(await run(api, "quiet"));
  const { pipelines } = await get<{ pipelines: Summary[] }>(api, "/pipelines?recent=3");
  const quiet = pipelines.find((p) => p.name === "quiet")!;
  assert.deepEqual(quiet.recent!.map((r) => r.id), ids.slice(1).reverse());
  assert.ok(quiet.recent!.every((r) => r.state === "succeeded" && typeof r.duration_ms === "number" && !Number.isNaN(Date.parse(r.created_at))));
  assert.equal(quiet.last_run?.id, ids[3]);
  const grid = pipelines.find((p) => p.name === "grid")!;
  assert.deepEqual([grid.recent, grid.last_run], [[], null], "a pipeline without runs has none");

  const plain = await get<{ pipelines: Summary[] }>(api, "/pipelines");
  assert.ok(plain.pipelines.every((p) => !("recent" in p)), "recent only when asked for");
  assert.equal(plain.pipelines.find((p) => p.name === "quiet")!.last_run?.id, ids[3]);
  assert.equal((await get<{ pipelines: Summary[] }>(api, "/pipelines?namespace=test&recent=50")).pipelines.find((p) => p.name === "quiet")!.recent!.length, 4);
  await assert400(api, "/pipelines?recent=51", /query\.recent: expected how many of each pipeline's newest runs/);
  await assert400(api, "/pipelines?recent=-1", /query\.recent/);
});

test("a pipeline's triggers in plain words, its next slots with the DST changes marked, its YAML as written and its origin", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const { pipelines } = await get<{ pipelines: Summary[] }>(api, "/pipelines");
  const listed = pipelines.find((p) => p.name === "timed")!;
  assert.deepEqual(
    listed.trigger_info.map((info) => [info.key, info.kind]),
    [["0:cron", "cron"], ["1:every", "every"], ["2:webhook", "webhook"]],
  );
  assert.match(listed.trigger_info[0]!.description, /12:00.*\(Europe\/Berlin\)/);
  assert.equal(listed.trigger_info[1]!.description, "every 15 minutes");
  assert.equal(listed.trigger_info[2]!.description, "when its webhook is called");
  assert.ok(listed.trigger_info[0]!.next_fire_at && listed.trigger_info[1]!.next_fire_at);
  assert.equal(listed.trigger_info[2]!.next_fire_at, null);
  assert.equal(listed.next_fire_at, [listed.trigger_info[0]!.next_fire_at!, listed.trigger_info[1]!.next_fire_at!].sort()[0]);
  assert.ok(listed.trigger_info.every((info) => !("next" in info)), "the list gives no next slots");

  const detail = await get<Summary & { definition_yaml: string; definition_yaml_from: string; definition_line: number; origin: { author: string | null; applied_at: string } }>(api, "/pipelines/test/timed?next=100");
  const cron = detail.trigger_info[0]!.next!;
  assert.equal(cron.length, 100);
  assert.ok(cron.every((slot, i) => i === 0 || Date.parse(slot.at) > Date.parse(cron[i - 1]!.at)), "ascending");
  assert.ok(cron.every((slot) => /T12:00:00\+0[12]:00$/.test(slot.at)), cron[0]!.at);
  // 100 noons of March, April, October and November always cross a change of Berlin's offset.
  const changes = cron.filter((slot, i) => i > 0 && slot.offset_change !== null);
  assert.ok(changes.length >= 1, "a DST change is marked");
  for (const slot of changes) assert.notEqual(slot.offset_change!.before, slot.offset_change!.after);
  assert.equal(detail.trigger_info[1]!.next!.length, 100);
  assert.equal(Date.parse(detail.trigger_info[1]!.next![1]!.at) - Date.parse(detail.trigger_info[1]!.next![0]!.at), 15 * 60_000);
  assert.deepEqual(detail.trigger_info[2]!.next, []);
  assert.equal((await get<Summary>(api, "/pipelines/test/timed")).trigger_info[0]!.next!.length, 10, "10 unless asked");
  await assert400(api, "/pipelines/test/timed?next=101", /query\.next: expected how many next slots/);

  assert.equal(detail.definition_yaml_from, "source");
  assert.match(detail.definition_yaml, /^timed:\n  description: Two clocks and a hook\n/);
  assert.match(detail.definition_yaml, /every: 15m/);
  assert.match(detail.definition_yaml, /# noon, in the months DST starts and ends/);
  assert.doesNotMatch(detail.definition_yaml, /quiet|grid/);
  assert.equal(YAML.split("\n")[detail.definition_line - 1], "  timed:");
  assert.equal(detail.origin.author, "jane");

  // Applied as JSON, a pipeline has no lines of its own: its normalised definition is written out.
  const json = await api.call("POST", "/apply", { body: { text: JSON.stringify({ pipelines: { js: { tasks: { a: { run: "true" } } } } }), namespace: "other" } });
  assert.equal(json.status, 200);
  const fromJson = await get<{ definition_yaml: string; definition_yaml_from: string; definition_line: number | null }>(api, "/pipelines/other/js");
  assert.deepEqual([fromJson.definition_yaml_from, fromJson.definition_line], ["normalised", null]);
  assert.match(fromJson.definition_yaml, /tasks:\n  a:\n    run: "true"/);
});

test("a pause carries who, when and the reason given, until the pipeline is resumed", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const before = Date.now();
  const paused = await api.call("POST", "/pipelines/test/timed/pause", { as: "run", body: { reason: "  disk maintenance " } });
  assert.equal(paused.status, 200);
  const summary = (await paused.json()) as Summary;
  assert.deepEqual([summary.paused, summary.paused_reason, summary.paused_by, summary.next_fire_at], [true, "disk maintenance", "runner", null]);
  assert.ok(Date.parse(summary.paused_at!) >= before - 1000);
  assert.ok(summary.trigger_info.every((info) => info.next_fire_at === null));
  const listed = (await get<{ pipelines: Summary[] }>(api, "/pipelines")).pipelines.find((p) => p.name === "timed")!;
  assert.equal(listed.paused_reason, "disk maintenance");
  assert.deepEqual((await get<Summary>(api, "/pipelines/test/timed")).trigger_info[0]!.next, [], "no next slots while paused");

  const resumed = (await (await api.call("POST", "/pipelines/test/timed/resume", { as: "run" })).json()) as Summary;
  assert.deepEqual([resumed.paused, resumed.paused_reason, resumed.paused_by, resumed.paused_at], [false, null, null, null]);
  const bare = (await (await api.call("POST", "/pipelines/test/timed/pause", { as: "run" })).json()) as Summary;
  assert.deepEqual([bare.paused, bare.paused_reason, bare.paused_by], [true, null, "runner"], "no body: no reason, still who");
  await assert400(api, "/pipelines/test/timed/pause", /body\.reason: a reason is at most 500 characters/, { method: "POST", body: { reason: "x".repeat(501) } });
  await assert400(api, "/pipelines/test/timed/pause", /body\.reason: a reason is some words/, { method: "POST", body: { reason: "  " } });
  await assert400(api, "/pipelines/test/timed/pause", /body\.why: unknown field/, { method: "POST", body: { why: "x" } });
  const audit = (await (await api.call("GET", "/audit?limit=5")).json()) as { entries: { action: string; details: { reason?: string } }[] };
  assert.equal(audit.entries.find((entry) => entry.action === "pipeline.pause" && entry.details.reason)?.details.reason, "disk maintenance");
});

interface History {
  tasks: string[];
  runs: { id: string; state: string; trigger: string; duration_ms: number | null; tasks: ([string, number | null, number, number | null] | null)[] }[];
  durations: { run: { count: number; p50: number | null; p95: number | null }; tasks: Record<string, { count: number; p50: number | null; p95: number | null }> };
  next_cursor: string | null;
}

test("GET …/history: the last runs as a grid of task cells, duration percentiles, and paging by before", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const ids = [await run(api, "grid"), await run(api, "grid", { fail: true }), await run(api, "grid"), await run(api, "grid")];
  const page = await get<History>(api, "/pipelines/test/grid/history?limit=3");
  assert.deepEqual(page.tasks, ["first", "second", "flaky", "shards[0]", "shards[1]"]);
  assert.deepEqual(page.runs.map((r) => r.id), ids.slice(1).reverse());
  assert.deepEqual(page.runs.map((r) => [r.state, r.trigger]), [["succeeded", "manual"], ["succeeded", "manual"], ["failed", "manual"]]);
  const failed = page.runs[2]!;
  assert.deepEqual(failed.tasks.map((cell) => cell && [cell[0], cell[2], cell[3]]), [
    ["succeeded", 1, 0],
    ["failed", 1, 1],
    ["succeeded", 2, 0],
    ["succeeded", 1, 0],
    ["succeeded", 1, 0],
  ]);
  assert.ok(failed.tasks.every((cell) => typeof cell![1] === "number"), "each cell has its duration");

  const { run: runStats, tasks: taskStats } = page.durations;
  assert.equal(runStats.count, 2, "of the succeeded runs");
  const runTimes = page.runs.filter((r) => r.state === "succeeded").map((r) => r.duration_ms!).sort((a, b) => a - b);
  assert.deepEqual([runStats.p50, runStats.p95], [runTimes[0], runTimes[1]]);
  assert.equal(taskStats["second"]!.count, 2, "a failed task's time is left out");
  assert.equal(taskStats["first"]!.count, 3);

  assert.equal(page.next_cursor, ids[1]);
  const older = await get<History>(api, `/pipelines/test/grid/history?limit=3&before=${page.next_cursor}`);
  assert.deepEqual([older.runs.map((r) => r.id), older.next_cursor], [[ids[0]], null]);

  assert.equal((await api.call("GET", "/pipelines/test/nope/history")).status, 404);
  await assert400(api, "/pipelines/test/grid/history?limit=101", /query\.limit: expected how many runs/);
  await assert400(api, "/pipelines/test/grid/history?before=garbage", /query\.before: not a paging cursor/);
  await assert400(api, "/pipelines/test/grid/history?before=zzzzzzzzzzzzzzzz", /before: .* is not the id of a run made so far/);
  const empty = await get<History>(api, "/pipelines/test/quiet/history");
  assert.deepEqual([empty.tasks, empty.runs, empty.durations.run, empty.next_cursor], [["noop"], [], { count: 0, p50: null, p95: null }, null]);
});
