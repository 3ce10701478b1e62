/**
 * A worker may connect to any engine (SPEC §7): two `spire engine`
 * processes on one real PostgreSQL, a worker registered with B only, and
 * runs started through A. A run whose task waits for the worker's labels is
 * handed to B at A's next heartbeat, and B runs it on the worker; a run
 * waiting for labels no engine's worker has stays on A, saying why.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiGet, apiStartRun, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { finished, spire, startSpire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, POSTGRES_URL, rowsIn } from "../helpers/postgres.js";
import { connectWorker, engineIdOf, shareSecret } from "./shared-store.js";

checkNoLeftoverProcesses();

interface RunView {
  id: string;
  state: string;
  tasks: { path: string; state: string; worker: string | null }[];
}

test("a run made on one engine whose task needs a worker connected to another is handed to that engine and runs there; one no worker can take stays, saying why", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-hand-over-");
  const ledger = join(dir, "ledger");
  writeFileSync(ledger, "");
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `namespace: far
pipelines:
  gpu:
    env: { LEDGER: ${JSON.stringify(ledger)} }
    tasks:
      prepare: { run: 'echo "$SPIRE_RUN_ID prepare $(hostname)" >> "$LEDGER"' }
      train:
        runs_on: [gpu]
        needs: [prepare]
        run: 'echo "$SPIRE_RUN_ID train" >> "$LEDGER"'
  nowhere:
    tasks:
      wait: { runs_on: [tape-drive], run: "true" }
`,
  );
  // Heartbeats every 500 ms: a hand-over is looked for at each.
  const { a, b, said } = await twoEngines(t, dir, schema, ["--rescue-after", "3s", "-f", file]);
  const { name: workerName, stop: stopWorker } = await connectWorker(t, b, dir);

  const waiting = { id: await apiStartRun(a, "far/nowhere") };
  await until(async () => (await rowsIn(schema, "SELECT 1 FROM events WHERE run_id = $1 AND type = 'task.waiting'", [waiting.id])).length > 0, "the run of nowhere to wait for a worker");
  // `spire run` through A follows the run to its end, also once it goes on in B.
  const following = startSpire(["run", "far/gpu", "--json"], { data: a.data });
  const givenUp = setTimeout(() => following.kill("SIGTERM"), 30_000);
  const ran = await finished(following);
  clearTimeout(givenUp);
  assert.equal(ran.code, 0, `${ran.signal ?? ""} ${ran.stderr}\n${said()}`);
  const made = JSON.parse(ran.stdout) as RunView;
  const done = await runOn(a, made.id, (run) => run.state !== "running" && run.state !== "queued");

  assert.equal(done.state, "succeeded", JSON.stringify(done));
  assert.equal(done.tasks.find((task) => task.path === "train")?.worker, workerName, "train ran on the worker connected to B");
  const [owner] = await rowsIn(schema, "SELECT owner FROM runs WHERE id = $1", [made.id]);
  assert.equal(owner?.owner, engineIdOf(b), "the run went on as B's");
  // Each task ran once: prepare on A, before the wait for the worker; train on the worker.
  const lines = readFileSync(ledger, "utf8").trim().split("\n");
  assert.deepEqual(lines.map((line) => line.split(" ").slice(0, 2).join(" ")).sort(), [`${made.id} prepare`, `${made.id} train`]);
  const events = await rowsIn(schema, "SELECT type, task_path FROM events WHERE run_id = $1 AND type IN ('task.started', 'task.finished', 'run.started', 'run.finished') ORDER BY seq", [made.id]);
  assert.equal(events.filter((event) => event.type === "task.started" && event.task_path === "train").length, 1, JSON.stringify(events));
  assert.equal(events.filter((event) => event.type === "run.finished").length, 1, JSON.stringify(events));

  // The run nobody's worker can take is still A's, waiting, and says why.
  const stays = await apiGet<RunView>(a, `/runs/${waiting.id}`);
  assert.equal(stays.state, "running");
  const [stillA] = await rowsIn(schema, "SELECT owner FROM runs WHERE id = $1", [waiting.id]);
  assert.equal(stillA?.owner, engineIdOf(a));
  const [why] = await rowsIn(schema, "SELECT data FROM events WHERE run_id = $1 AND type = 'task.waiting' ORDER BY seq DESC LIMIT 1", [waiting.id]);
  assert.match(JSON.stringify(why?.data), /tape-drive: none is connected/);
  const canceled = await spire(["cancel", waiting.id], { data: a.data });
  assert.equal(canceled.code, 0, canceled.stderr);
  await stopWorker();
  const stopping = performance.now();
  await Promise.all([stopEngine(a), stopEngine(b)]);
  assert.ok(performance.now() - stopping < 10_000, `the engines stopped in ${Math.round(performance.now() - stopping)} ms`);
});

/** Engines a and b on the test's schema, with what they said last (for a failure to explain itself). */
async function twoEngines(t: TestContext, dir: string, schema: string, extra: string[]): Promise<{ a: RunningEngine; b: RunningEngine; said(): string }> {
  const logs = new Map<string, string>();
  const start = async (name: string) => {
    if (name !== "a") shareSecret(join(dir, "a"), join(dir, name));
    const engine = await startEngine(t, join(dir, name), ["--store", `${POSTGRES_URL}?schema=${schema}`, ...extra]);
    engine.child.stderr?.on("data", (chunk: Buffer) => logs.set(name, (logs.get(name) ?? "") + chunk.toString()));
    return engine;
  };
  const a = await start("a");
  const b = await start("b");
  return { a, b, said: () => [...logs].map(([name, text]) => `--- ${name}\n${text.split("\n").slice(-20).join("\n")}`).join("\n") };
}

/** GET /runs/{id} on `engine` until `done` says so (within 20 s). */
async function runOn(engine: RunningEngine, id: string, done: (run: RunView) => boolean): Promise<RunView> {
  let last: RunView | undefined;
  await until(async () => done((last = await apiGet<RunView>(engine, `/runs/${id}`))), `run ${id} to end`, 20_000).catch((error: Error) => {
    throw new Error(`${error.message}: still ${JSON.stringify(last)}`);
  });
  return last!;
}
