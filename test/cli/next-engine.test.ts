/**
 * `spire next` of a pipeline the engine has gives the times the engine fires
 * at: an unaligned `every` counts from when the engine first scheduled it,
 * not from the UTC clock. A schedule nobody applied ("every 7m") counts from
 * now, and says so. The MCP preview answers the same.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { SPIRE_BIN, spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

const MINUTES_10 = 600_000;

async function nextJson(args: string[], data: string): Promise<{ description: string; next: string[]; note?: string }> {
  const result = await spire(["next", ...args, "--json"], { data });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

async function engineNext(data: string, pipeline: string): Promise<number> {
  const listed = JSON.parse((await spire(["ls", "--json"], { data })).stdout) as { namespace: string; name: string; next_fire_at: string | null }[];
  const found = listed.find((entry) => `${entry.namespace}/${entry.name}` === pipeline);
  assert.ok(found?.next_fire_at, `spire ls gives ${pipeline} a next fire time: ${JSON.stringify(listed)}`);
  return Date.parse(found.next_fire_at);
}

test("spire next of an applied every: the engine's own times, counted from when it was applied, also past its first 100 and from --from", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const file = pipelineFile(dir, `namespace: ev\npipelines:\n  often:\n    triggers:\n      - every: 10m\n    tasks:\n      a: { run: "true" }\n`);
  const engine = await startEngine(t, data, ["-f", file]);
  const fires = await engineNext(data, "ev/often");

  const shown = await nextJson(["ev/often", "-n", "3", "--tz", "UTC"], data);
  assert.equal(shown.description, "every 10 minutes");
  assert.deepEqual(
    shown.next.map((at) => Date.parse(at)),
    [fires, fires + MINUTES_10, fires + 2 * MINUTES_10],
    `spire next says ${shown.next.join(", ")}; the engine fires at ${new Date(fires).toISOString()}`,
  );
  // The name alone finds it too, and the plain output shows the same first time.
  const plain = await spire(["next", "often", "-n", "1", "--tz", "UTC"], { data });
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(plain.stdout.includes(shown.next[0]!.replace("T", " ")), plain.stdout);

  // More than the engine gives at once, and from a later time: still on the engine's grid.
  const many = await nextJson(["ev/often", "-n", "120"], data);
  assert.equal(many.next.length, 120);
  many.next.forEach((at, index) => assert.equal(Date.parse(at), fires + index * MINUTES_10, `time ${index}: ${at}`));
  const later = await nextJson(["ev/often", "-n", "2", "--from", new Date(fires + 1000 * MINUTES_10 + 1).toISOString()], data);
  assert.deepEqual(later.next.map((at) => Date.parse(at)), [fires + 1001 * MINUTES_10, fires + 1002 * MINUTES_10]);

  // The MCP preview says the same.
  const transport = new StdioClientTransport({ command: process.execPath, args: [SPIRE_BIN, "mcp"], env: { ...(process.env as Record<string, string>), SPIRE_DATA: data, NO_COLOR: "1" }, stderr: "pipe" });
  const client = new Client({ name: "spire-test", version: "1.0.0" });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: "next_fire_times", arguments: { schedule: "ev/often", count: 2 } });
    const text = (result.content as { text?: string }[]).map((part) => part.text ?? "").join("");
    assert.notEqual(result.isError, true, text);
    assert.deepEqual((JSON.parse(text) as { next: { at: string }[] }).next.map((time) => Date.parse(time.at)), [fires, fires + MINUTES_10]);
  } finally {
    await client.close();
  }

  // Paused, it fires nothing, and says why rather than that the schedule ended.
  assert.equal((await spire(["pause", "ev/often"], { data })).code, 0);
  const paused = await nextJson(["ev/often"], data);
  assert.deepEqual(paused.next, []);
  assert.match(paused.note ?? "", /ev\/often is paused/);
  await stopEngine(engine);
});

test('spire next "every 7m" counts from now and says so; with --from, from then', async (t) => {
  const data = tempDir(t);
  const before = Date.now();
  const now = await nextJson(["every 7m", "-n", "2", "--tz", "UTC"], data);
  const after = Date.now();
  assert.equal(now.description, "every 7 minutes, counted from now");
  const first = Date.parse(now.next[0]!);
  assert.ok(first >= Math.floor(before / 1000) * 1000 + 7 * 60_000 && first <= after + 7 * 60_000, `7 minutes from now: ${now.next[0]}`);
  assert.equal(Date.parse(now.next[1]!) - first, 7 * 60_000);

  const from = await nextJson(["every 7m", "-n", "2", "--tz", "UTC", "--from", "2027-01-01T10:03:00Z"], data);
  assert.equal(from.description, "every 7 minutes, counted from 2027-01-01 10:03:00+00:00");
  assert.deepEqual(from.next, ["2027-01-01T10:10:00+00:00", "2027-01-01T10:17:00+00:00"]);

  // A pipeline read with -f is not applied: it counts from now as well, and says so.
  const dir = tempDir(t);
  const file = pipelineFile(dir, `pipelines:\n  often:\n    triggers:\n      - every: 10m\n    tasks:\n      a: { run: "true" }\n`);
  const fromFile = await nextJson(["often", "-f", file, "-n", "1"], data);
  assert.equal(fromFile.description, "every 10 minutes, counted from now");
});

test("spire next of a pipeline whose engine runs in another zone than this machine: the engine's words and times, also past the first 100 it gives", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const file = pipelineFile(dir, `namespace: tz\npipelines:\n  nightly:\n    triggers:\n      - cron: "0 3 * * *"\n    tasks:\n      a: { run: "true" }\n`);
  const engine = await startEngine(t, data, ["-f", file], { TZ: "America/New_York" });
  const hourIn = (zone: string, at: string) => new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", hourCycle: "h23" }).format(Date.parse(at));

  const result = await spire(["next", "tz/nightly", "-n", "150", "--json"], { data, env: { TZ: "Asia/Tokyo" } });
  assert.equal(result.code, 0, result.stderr);
  const shown = JSON.parse(result.stdout) as { description: string; next: string[] };
  assert.equal(shown.description, "At 03:00 every day (America/New_York)", "the zone the engine reads it in, not this machine's");
  assert.equal(shown.next.length, 150);
  // Across the DST change in March: always 03:00 in New York, the first 100 from the engine, the rest worked out here.
  shown.next.forEach((at, index) => assert.equal(hourIn("America/New_York", at), "03", `time ${index}: ${at}`));
  await stopEngine(engine);
});
