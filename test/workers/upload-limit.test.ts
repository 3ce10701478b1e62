/**
 * A worker's upload held to the run's artifact limit (spire engine
 * --artifact-limit), and to what came of it, as the engine answers it: the
 * test speaks the workers' protocol itself (register, the assignment
 * stream, chunks, reports), so it can send what a real worker sends when its
 * first try is cut short and it sends the attempt's files again from their
 * start, or when its attempt ends before all of a file came.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { apiGet, apiStartRun, pipelineFile, startEngine, stopEngine, waitForState, type RunningEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

/** The workers' side of the API, as `spire worker` speaks it, for a worker named `name` with a token of scope worker. */
async function fakeWorker(engine: RunningEngine, dir: string, name: string, labels: string[]) {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const made = await spire(["token", "create", "--scope", "worker", "--name", name], { data: join(dir, "cli"), env: { SPIRE_ENGINE: engine.url, SPIRE_TOKEN: token } });
  assert.equal(made.code, 0, made.stderr);
  const headers = { authorization: `Bearer ${made.stdout.trim()}`, "content-type": "application/json" };
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${engine.url}/api/v1/workers${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    assert.equal(response.status, 200, `POST ${path}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const { session } = await post<{ session: string }>("/register", {
    name,
    labels,
    tasks: 1,
    cpus: 1,
    memory_bytes: 1 << 30,
    version: "test",
    host: "fake",
    data_dir: join(dir, "worker"),
    work_dir: join(dir, "work"),
    node_path: process.execPath,
    running: [],
  });
  const stream = new AbortController();
  const assignments = await fetch(`${engine.url}/api/v1/workers/${name}/assignments?session=${session}`, { headers, signal: stream.signal });
  assert.equal(assignments.status, 200);
  const reader = assignments.body!.pipeThrough(new TextDecoderStream()).getReader();
  let heard = "";
  return {
    /** The next attempt the engine gives it to launch. */
    async launched(): Promise<string> {
      for (;;) {
        const found = /event: launch\ndata: (.*)\n/.exec(heard);
        if (found) return (JSON.parse(found[1]!) as { attempt: string }).attempt;
        const { value, done } = await reader.read();
        assert.ok(!done, "the assignment stream ended before a launch");
        heard += value;
      }
    },
    chunk: (attempt: string, file: string, offset: number, data: Buffer, size: number) =>
      post<{ size: number; accepted: boolean; refused?: string }>(`/${name}/artifacts`, { session, attempt, name: file, offset, data: data.toString("base64"), size }),
    /** The attempt started, and ended as `state` (its log empty). */
    ended: (attempt: string, state: "failed" | "canceled") => {
      const now = Date.now();
      const report = { state, exitCode: state === "failed" ? 1 : null, signal: null, reason: state === "canceled" ? "canceled: by the test" : null, pid: 4242, startedAt: now - 10, finishedAt: now, warnings: 0, errors: 0, metrics: {}, outputs: {}, tail: [] };
      return post("/" + name + "/reports", { session, reports: [{ attempt, kind: "started", pid: 4242, started_at: now - 10 }, { attempt, kind: "done", report, log_bytes: 0 }], running: [] });
    },
    close: () => stream.abort(),
  };
}

test("a file a worker sends again from its start, refused then, leaves nothing of its first try in the task's folder", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const file = pipelineFile(dir, `namespace: far\npipelines:\n  big:\n    tasks:\n      make: { runs_on: [gpu], run: "true", artifacts: ["*.bin"] }\n`);
  const engine = await startEngine(t, data, ["-f", file, "--artifact-limit", "1000"]);
  const worker = await fakeWorker(engine, dir, "gpu-box", ["gpu"]);
  t.after(() => worker.close());
  const id = await apiStartRun(engine, "far/big");
  const attempt = await worker.launched();

  // The first try: 500 of the file's 800 bytes come; the answer to them is lost.
  const first = await worker.chunk(attempt, "out.bin", 0, Buffer.alloc(500, 1), 800);
  assert.deepEqual(first, { size: 500, accepted: true });
  // Sent again from its start, the file has grown past the run's room meanwhile: refused whole.
  const again = await worker.chunk(attempt, "out.bin", 0, Buffer.alloc(500, 1), 1200);
  assert.equal(again.accepted, false);
  assert.match(again.refused ?? "", /would pass the limit of 1000 B \(spire engine --artifact-limit\)/);

  const kept = join(data, "runs", id, "artifacts", "make", "out.bin");
  assert.ok(!existsSync(kept), "what came of the refused file's first try is not in the task's folder");
  const listed = await apiGet<{ artifacts: { name: string }[] }>(engine, `/runs/${id}/artifacts`);
  assert.deepEqual(listed.artifacts, [], "nor listed as the run's");
  // Ended, so that the engine stops at once rather than wait for it.
  await worker.ended(attempt, "failed");
  assert.equal((await waitForState(data, id, "failed")).state, "failed");
  worker.close();
  await stopEngine(engine);
});

test("a file of which less came than the worker said it holds, when its attempt ended, is not kept in part: removed, not listed, and the task's log says so", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const file = pipelineFile(dir, `namespace: far\npipelines:\n  big:\n    tasks:\n      make: { runs_on: [gpu], run: "true", artifacts: ["*.bin"] }\n`);
  const engine = await startEngine(t, data, ["-f", file]);
  const worker = await fakeWorker(engine, dir, "gpu-box", ["gpu"]);
  t.after(() => worker.close());
  const id = await apiStartRun(engine, "far/big");
  const attempt = await worker.launched();

  assert.deepEqual(await worker.chunk(attempt, "whole.bin", 0, Buffer.alloc(300, 1), 300), { size: 300, accepted: true });
  // 500 of the file's 800 bytes come, then the attempt ends (canceled on the worker's machine, say).
  assert.deepEqual(await worker.chunk(attempt, "cut.bin", 0, Buffer.alloc(500, 1), 800), { size: 500, accepted: true });
  await worker.ended(attempt, "failed");
  assert.equal((await waitForState(data, id, "failed")).state, "failed");

  const folder = join(data, "runs", id, "artifacts", "make");
  assert.ok(!existsSync(join(folder, "cut.bin")), "the part that came is not kept");
  assert.ok(existsSync(join(folder, "whole.bin")));
  const listed = await apiGet<{ artifacts: { name: string; size: number }[] }>(engine, `/runs/${id}/artifacts`);
  assert.deepEqual(listed.artifacts.map(({ name, size }) => ({ name, size })), [{ name: "whole.bin", size: 300 }]);
  const logs = await spire(["logs", id, "make"], { data });
  assert.match(logs.stdout + logs.stderr, /spire: artifacts: cut\.bin not kept: only 500 B of its 800 B came \(the attempt ended, or the file shrank, on the way\)/);
  worker.close();
  await stopEngine(engine);
});
