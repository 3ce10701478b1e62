/**
 * A worker's upload held to the run's artifact limit (spire engine
 * --artifact-limit), as the engine answers it: the test speaks the workers'
 * protocol itself (register, the assignment stream, chunks), so it can send
 * what a real worker sends when its first try is cut short and it sends
 * the attempt's files again from their start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { apiGet, apiStartRun, pipelineFile, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";

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
  worker.close();
  await stopEngine(engine);
});
