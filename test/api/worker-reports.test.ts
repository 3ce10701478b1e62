/**
 * A worker's reports are checked key by key before anything is made of
 * them: an attempt's end that is not one (a key missing, a value of the
 * wrong type) is a 400 that names the key, and the attempt is left as it
 * was, to end when a well-formed report comes. Driven by hand over the
 * worker routes, against a real `spire engine`, as a worker of another
 * version (or a program posing as one) would.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../src/version.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { apiGet, apiStartRun, pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { readFrames } from "../helpers/sse.js";
import { makeTempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

interface RunObject {
  state: string;
  tasks: { path: string; state: string; exit_code: number | null; worker: string | null }[];
}

test("a malformed end from a worker is a 400 naming the key, the attempt stays running, and a well-formed one then ends it", async (t) => {
  const { dir, remove } = makeTempDir("spire-worker-reports-");
  t.after(remove);
  const data = join(dir, "data");
  const file = pipelineFile(dir, "namespace: lab\npipelines:\n  remote:\n    tasks:\n      t: { run: 'true', runs_on: [gpu] }\n");
  const engine = await startEngine(t, data, ["-f", file]);
  const token = readFileSync(join(data, "token"), "utf8").trim();
  const post = (path: string, body: unknown) =>
    fetch(`${engine.url}/api/v1${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });

  const dots = await post("/workers/register", { name: "..", labels: ["gpu"], tasks: 1, cpus: 1, memory_bytes: 1e9, version: VERSION, host: "h", data_dir: "/w", work_dir: "/w", node_path: process.execPath, running: [] });
  assert.equal(dots.status, 400, "a name of dots reads as a folder");
  assert.match(await dots.text(), /not only dots/);
  const registered = await post("/workers/register", {
    name: "gpu",
    labels: ["gpu"],
    tasks: 1,
    cpus: 1,
    memory_bytes: 1_000_000_000,
    version: VERSION,
    host: "gpu-box",
    data_dir: join(dir, "worker-data"),
    work_dir: join(dir, "worker-work"),
    node_path: process.execPath,
    running: [],
  });
  assert.equal(registered.status, 200, await registered.clone().text());
  const { session } = (await registered.json()) as { session: string };
  const stream = await fetch(`${engine.url}/api/v1/workers/gpu/assignments?session=${session}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(stream.status, 200);
  const launched = readFrames(stream, (frame) => frame.event === "launch");
  // A test that fails before reading it leaves the stream to the engine's stop, which cuts it.
  launched.catch(() => undefined);

  const runId = await apiStartRun(engine, "lab/remote");
  const launch = (await launched).find((frame) => frame.event === "launch")!;
  const { attempt } = JSON.parse(launch.data) as { attempt: string };

  const now = Date.now();
  const wellFormed = { state: "succeeded", exitCode: 0, signal: null, reason: null, pid: 4242, startedAt: now, finishedAt: now + 5, warnings: 0, errors: 0, metrics: {}, outputs: {}, tail: [] };
  const malformed: [unknown, string][] = [
    [{}, "body.reports.0.report.state"],
    [{ ...wellFormed, exitCode: "abc" }, "body.reports.0.report.exitCode"],
    [{ ...wellFormed, signal: [1] }, "body.reports.0.report.signal"],
    [{ ...wellFormed, state: "exploded" }, "body.reports.0.report.state"],
    [{ ...wellFormed, tail: [{ ts: now, stream: "stdin", line: "x" }] }, "body.reports.0.report.tail.0.stream"],
  ];
  for (const [report, key] of malformed) {
    const refused = await post("/workers/gpu/reports", { session, reports: [{ attempt, kind: "done", report, log_bytes: 0 }], running: [attempt] });
    assert.equal(refused.status, 400, JSON.stringify(report));
    const error = ((await refused.json()) as { error: { code: string; details: string[] } }).error;
    assert.equal(error.code, "bad_request");
    assert.ok(error.details.some((detail) => detail.startsWith(key)), `${key} is named: ${JSON.stringify(error.details)}`);
  }
  const still = await apiGet<RunObject>(engine, `/runs/${runId}`);
  assert.equal(still.state, "running", "a refused report changed nothing");
  assert.equal(still.tasks[0]!.state, "running");

  const accepted = await post("/workers/gpu/reports", {
    session,
    reports: [
      { attempt, kind: "started", pid: 4242, started_at: now },
      // A sum past the largest double arrives as null (JSON has no Infinity): an overflowed figure, not a malformed report.
      { attempt, kind: "done", report: { ...wellFormed, metrics: { big: { min: 1e308, max: 1e308, mean: null, sum: null, count: 2 } } }, log_bytes: 0 },
    ],
    running: [],
  });
  assert.equal(accepted.status, 200, await accepted.clone().text());
  const deadline = Date.now() + 10_000;
  let run = await apiGet<RunObject>(engine, `/runs/${runId}`);
  while (run.state === "running" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    run = await apiGet<RunObject>(engine, `/runs/${runId}`);
  }
  assert.equal(run.state, "succeeded", JSON.stringify(run));
  assert.equal(run.tasks[0]!.worker, "gpu");
  assert.equal(run.tasks[0]!.exit_code, 0);
  await stopEngine(engine);
});
