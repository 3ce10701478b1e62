/**
 * Any engine answers for any run (SPEC §7): two `spire engine` processes on
 * one real PostgreSQL, runs started on A, and everything a person does
 * through B — `spire logs -f` while A runs the task (lines arrive live),
 * an artifact made on A downloaded, `spire cancel` of a task running on A,
 * and, once A is stopped and its data folder gone, its runs' logs and
 * artifacts still read, and `spire retry` of a run A ran, whose kept task's
 * artifact the task run again reads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiGet, apiStartRun, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { shareSecret } from "./shared-store.js";
import { checkNoLeftoverProcesses, isRunning } from "../helpers/leaks.js";
import { finished, spire, startSpire } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema, POSTGRES_URL } from "../helpers/postgres.js";

checkNoLeftoverProcesses();

interface RunView {
  id: string;
  state: string;
  tasks: { path: string; state: string }[];
}

/** GET /runs/{id} on `engine` until `done` says so (within 15 s). */
async function runOn(engine: RunningEngine, id: string, done: (run: RunView) => boolean): Promise<RunView> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = await apiGet<RunView>(engine, `/runs/${id}`);
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} on ${engine.url}: still ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A POST under /api/v1 with the engine's local token. */
async function post(engine: RunningEngine, path: string): Promise<Response> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  return fetch(`${engine.url}/api/v1${path}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
}

test("two engines on one PostgreSQL: logs followed live, artifacts, cancel and retry of A's runs through B, also once A is gone", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-any-engine-");
  const marker = join(dir, "second-may-pass");
  const go = join(dir, "follower-is-there");
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `namespace: home
pipelines:
  slow:
    tasks:
      talk:
        # The first line, then the others once the test's follower has seen it (a follower slow to start under load misses no live line).
        run: 'echo "line 1 $(date +%s%3N)"; while [ ! -e "$GO" ]; do sleep 0.05; done; for i in 2 3 4 5 6; do echo "line $i $(date +%s%3N)"; sleep 0.5; done; echo made-on-a > out.txt'
        env: { GO: ${JSON.stringify(go)} }
        artifacts: [out.txt]
        cwd: ${JSON.stringify(dir)}
  sleepy:
    tasks:
      wait: { run: 'echo $$ > "$PIDS/$SPIRE_RUN_ID.pid"; echo waiting; exec sleep 30', env: { PIDS: ${JSON.stringify(dir)} } }
  flaky:
    env: { MARK: ${JSON.stringify(marker)} }
    tasks:
      first: { run: 'echo token-from-a > "$SPIRE_ARTIFACTS/token.txt"; echo first ran' }
      second:
        needs: [first]
        run: 'cat "$SPIRE_ARTIFACTS/../first/token.txt" && test -f "$MARK"'
`,
  );
  const store = `${POSTGRES_URL}?schema=${schema}`;
  // What the engines said, for a failure's message.
  const said: string[] = [];
  const engine = async (name: string, extra: string[]) => {
    const started = await startEngine(t, join(dir, name), ["--store", store, ...extra]);
    started.child.stderr?.on("data", (chunk: Buffer) => said.push(`${name}: ${chunk.toString().trimEnd()}`));
    return started;
  };
  let passed = false;
  t.after(() => {
    if (!passed) t.diagnostic(said.join("\n"));
  });
  let a = await engine("a", ["-f", file]);
  shareSecret(join(dir, "a"), join(dir, "b"));
  const b = await engine("b", []);
  const throughB = { data: b.data };

  // `spire logs -f` through B, started as A starts the run: each line arrives while the task still prints.
  const slow = await apiStartRun(a, "home/slow");
  const follow = startSpire(["logs", slow, "-f"], throughB);
  const arrivals: { line: string; at: number }[] = [];
  let pending = "";
  follow.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (pending + chunk).split("\n");
    pending = parts.pop()!;
    // Each line is labelled with its task (`talk line 3 …`): several tasks' lines are interleaved.
    for (const line of parts) arrivals.push({ line: line.replace(/^talk /, ""), at: Date.now() });
    if (arrivals.some(({ line }) => line.startsWith("line 1 "))) writeFileSync(go, "");
  });
  const followed = await finished(follow);
  assert.equal(followed.code, 0, followed.stderr);
  const lines = arrivals.filter(({ line }) => line.startsWith("line "));
  assert.deepEqual(
    lines.map(({ line }) => line.split(" ").slice(0, 2).join(" ")),
    ["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"],
    `every line, in order, then the end: ${followed.stdout}`,
  );
  // Printed on A (after the follower was there) at the time it says, seen through B that much later: live, not at the run's end.
  const printedAt = (line: string) => Number(line.split(" ")[2]);
  const delays = lines.slice(1).map(({ line, at }) => at - printedAt(line));
  assert.ok(Math.max(...delays) < 2000, `each line reached B's follower within 2 s of being printed on A: ${delays.join(", ")} ms`);
  const seen = lines.map(({ line, at }) => `${line.split(" ").slice(0, 2).join(" ")} printed ${line.split(" ")[2]} seen ${at}`).join("; ");
  assert.ok(lines[1]!.at < printedAt(lines[5]!.line), `line 2 reached B's follower before line 6 was printed on A: ${seen}`);
  t.diagnostic(`line delays A → B (ms): ${delays.join(" ")}`);
  const slowRun = await runOn(b, slow, (run) => run.state === "succeeded");
  assert.equal(slowRun.tasks[0]!.state, "succeeded", "B sees the run's state as A recorded it");

  // An artifact A kept, downloaded from B.
  const artifacts = async () => apiGet<{ artifacts: { task: string; name: string; url: string }[] }>(b, `/runs/${slow}/artifacts`);
  const download = async (url: string) => {
    const token = readFileSync(join(b.data, "token"), "utf8").trim();
    const response = await fetch(new URL(url, b.url), { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    return response.text();
  };
  const listed = await artifacts();
  assert.deepEqual(listed.artifacts.map(({ task, name }) => ({ task, name })), [{ task: "talk", name: "out.txt" }]);
  assert.equal(await download(listed.artifacts[0]!.url), "made-on-a\n");

  // `spire cancel` through B of a run whose task runs on A: A stops the task.
  /** A run of `sleepy` started on `engine`, once B sees its task running: its id and the task's pid. */
  const startSleepy = async (engine: RunningEngine) => {
    const id = await apiStartRun(engine, "home/sleepy");
    const pidFile = join(dir, `${id}.pid`);
    await runOn(b, id, (run) => run.tasks[0]?.state === "running" && existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"));
    return { id, pid: Number(readFileSync(pidFile, "utf8")) };
  };
  const { id: sleepy, pid: taskPid } = await startSleepy(a);
  assert.ok(isRunning(taskPid));
  const askedAt = performance.now();
  const canceled = await spire(["cancel", sleepy], throughB);
  assert.equal(canceled.code, 0, canceled.stderr);
  assert.match(canceled.stdout, /cancel requested/);
  assert.doesNotMatch(canceled.stdout, /has not answered/, "A took the request at once");
  t.diagnostic(`spire cancel through B, A took it: ${Math.round(performance.now() - askedAt)} ms (the CLI's start included)`);
  const stopped = await runOn(b, sleepy, (run) => run.state === "canceled");
  assert.equal(stopped.tasks[0]!.state, "canceled");
  assert.equal(isRunning(taskPid), false, "the task's process on A is gone");
  const again = await spire(["cancel", sleepy], throughB);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /has already finished \(canceled\): there is nothing to cancel/);

  // A killed (-9) with a task running: B records the cancel and says A has not answered; A, back, takes it and stops the task.
  const orphan = await startSleepy(a);
  a.child.kill("SIGKILL");
  await a.exit;
  // The CLI and the API at once (one request is recorded for both): each waits a few seconds for A, then says it has not answered.
  const [waiting, answer] = await Promise.all([spire(["cancel", orphan.id], throughB), post(b, `/runs/${orphan.id}/cancel`)]);
  assert.equal(answer.status, 202, "accepted: asked the engine that runs it, which has not taken it yet");
  const asked = (await answer.json()) as { id: string; state: string; request?: { engine: string; taken: boolean } };
  assert.deepEqual({ id: asked.id, state: asked.state, request: asked.request }, { id: orphan.id, state: "running", request: { engine: readFileSync(join(a.data, "engine-id"), "utf8").trim(), taken: false } });
  assert.equal(waiting.code, 0, waiting.stderr);
  assert.match(waiting.stdout, /cancel requested \(running\); the engine that runs it \([0-9a-f]{8}\) has not answered yet: it cancels the run when it does/);
  assert.ok(isRunning(orphan.pid), "the task still runs under A's supervisor");
  a = await engine("a", ["-f", file]);
  await runOn(b, orphan.id, (run) => run.state === "canceled");
  assert.equal(isRunning(orphan.pid), false, "A, back on its data folder, took the request and stopped the task");

  // A run of A's that fails; then A stops, and its data folder goes with it.
  const flaky = await apiStartRun(a, "home/flaky");
  await runOn(b, flaky, (run) => run.state === "failed");
  await stopEngine(a);
  rmSync(a.data, { recursive: true, force: true });

  // Its runs' logs and artifacts, through B alone.
  const past = await spire(["logs", slow], throughB);
  assert.equal(past.code, 0, past.stderr);
  assert.deepEqual(past.stdout.split("\n").filter((line) => line.startsWith("talk line ")).map((line) => line.split(" ")[2]), ["1", "2", "3", "4", "5", "6"], past.stdout);
  assert.equal(await download((await artifacts()).artifacts[0]!.url), "made-on-a\n");

  // `spire retry` through B: it keeps `first` (run on A) and runs `second` again, which reads first's artifact.
  writeFileSync(marker, "");
  const retried = await spire(["retry", flaky], throughB);
  assert.equal(retried.code, 0, `${retried.stdout}\n${retried.stderr}`);
  const runs = await apiGet<{ runs: { id: string; state: string }[] }>(b, "/runs?pipeline=flaky&limit=1");
  const retry = runs.runs[0]!;
  assert.notEqual(retry.id, flaky);
  assert.equal(retry.state, "succeeded");
  const second = await spire(["logs", retry.id, "second"], throughB);
  assert.match(second.stdout, /token-from-a/, "the task run again on B read the artifact the kept task made on A");
  const kept = await spire(["logs", retry.id, "first"], throughB);
  assert.match(kept.stdout, /first ran/, "the kept task's log, made on A, is the retry's too");
  await stopEngine(b);
  passed = true;
});
