/**
 * Two `spire engine` processes on one real PostgreSQL; the one running two
 * runs is frozen (SIGSTOP) past the rescue time while its supervisor keeps
 * running their tasks. The leader takes both runs over: the one with a
 * retry goes on there and succeeds, the one without ends interrupted. When
 * the frozen engine wakes, it lets them go: the attempt it still ran is
 * stopped, and the result that came in while it was frozen is refused, so
 * nothing is recorded twice.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { apiGet, apiStartRun, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { shareSecret } from "./shared-store.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { adminPool, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";
import { alive, until } from "../helpers/poll.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

checkNoLeftoverProcesses();

/** Engines b (started first: it leads) and a (b's secret; `through` a proxy when given), a `long` pipeline with a retry and a `quick` one without, each attempt marking its start (with its shell's pid) and end. */
async function twoEngines(t: TestContext, options: { aStore?: (url: string) => string } = {}) {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-take-over-");
  const marks = join(dir, "marks");
  mkdirSync(marks);
  // The first attempt of `long` would run for a minute. A TERM is marked with the time it came, in ms.
  const script = `trap 'echo "$SPIRE_ATTEMPT stopped $(date +%s%3N)" >> "$MARKS/$SPIRE_RUN_ID"; exit 143' TERM; echo "$SPIRE_ATTEMPT start $$ $(date +%s%3N)" >> "$MARKS/$SPIRE_RUN_ID"; if [ "$SPIRE_ATTEMPT" = 1 ]; then sleep $FIRST & wait; fi; echo "$SPIRE_ATTEMPT end" >> "$MARKS/$SPIRE_RUN_ID"`;
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    [
      "pipelines:",
      "  long:",
      `    env: { MARKS: "${marks}", FIRST: "60" }`,
      "    tasks:",
      `      work: { exec: ["sh", "-c", ${JSON.stringify(script)}], retries: { max: 1, backoff: 100ms } }`,
      "  quick:",
      `    env: { MARKS: "${marks}", FIRST: "1" }`,
      "    tasks:",
      `      work: { exec: ["sh", "-c", ${JSON.stringify(script)}] }`,
      "",
    ].join("\n"),
  );
  const store = `${POSTGRES_URL}?schema=${schema}`;
  const logs = new Map<string, string>();
  const start = async (name: string, url = store) => {
    const engine = await startEngine(t, join(dir, name), ["--store", url, "--leader-lease", "2s", "--rescue-after", "3s", "-f", file]);
    engine.child.stderr?.on("data", (chunk: Buffer) => logs.set(name, (logs.get(name) ?? "") + chunk.toString()));
    return engine;
  };
  const said = () => [...logs].map(([name, text]) => `--- ${name}\n${text.split("\n").slice(-20).join("\n")}`).join("\n");
  const b = await start("b");
  await until(() => leads(b), "b to lead", 15_000);
  shareSecret(join(dir, "b"), join(dir, "a"));
  const a = await start("a", options.aStore?.(store) ?? store);
  const pool = await adminPool();
  const namespace = (await pool.query<{ namespace: string }>(`SELECT namespace FROM ${schema}.pipelines LIMIT 1`)).rows[0]!.namespace;
  // Lines without pids and times: "1 start", "2 end".
  const lines = (run: string) => (existsSync(join(marks, run)) ? readFileSync(join(marks, run), "utf8").trim().split("\n") : []);
  const marksOf = (run: string) => lines(run).map((line) => line.split(" ").slice(0, 2).join(" "));
  const field = (run: string, prefix: string, index: number) => {
    const line = lines(run).find((text) => text.startsWith(prefix));
    return line === undefined ? undefined : Number(line.split(" ")[index]);
  };
  const started = (run: string, attempt: number) => field(run, `${attempt} start `, 2);
  const bId = readFileSync(join(dir, "b", "engine-id"), "utf8").trim();
  const aId = readFileSync(join(dir, "a", "engine-id"), "utf8").trim();
  const ownerOf = async (run: string) => (await pool.query<{ owner: string }>(`SELECT owner FROM ${schema}.runs WHERE id = $1`, [run])).rows[0]?.owner;
  const stateOf = async (run: string) => (await pool.query<{ state: string }>(`SELECT state FROM ${schema}.runs WHERE id = $1`, [run])).rows[0]?.state;
  const tasks = async (run: string) => (await pool.query<{ attempt: number; state: string; reason: string | null }>(`SELECT attempt, state, reason FROM ${schema}.task_runs WHERE run_id = $1 ORDER BY attempt`, [run])).rows;
  return { schema, pool, a, b, aId, bId, logs, said, namespace, marksOf, field, started, ownerOf, stateOf, tasks };
}

test("an engine frozen past the rescue time: the leader takes its runs over, and the frozen one, woken, stops what it still ran and records nothing of them", async (t) => {
  const { schema, pool, a, b, bId, logs, said, namespace, marksOf, started, ownerOf, stateOf, tasks } = await twoEngines(t);
  const long = await apiStartRun(a, `${namespace}/long`);
  const quick = await apiStartRun(a, `${namespace}/quick`);
  await until(() => started(long, 1) !== undefined && started(quick, 1) !== undefined, "both first attempts to start", 15_000);

  a.child.kill("SIGSTOP");
  let woken = false;
  t.after(() => {
    if (!woken) a.child.kill("SIGCONT");
  });
  await until(async () => (await ownerOf(long)) === bId && (await ownerOf(quick)) === bId, `b to take both runs over\n${said()}`, 15_000);
  // The quick attempt ended in a's supervisor meanwhile; the leader could not know: it counts as interrupted, and without a retry the run ends so.
  await until(async () => (await stateOf(long)) === "succeeded" && (await stateOf(quick)) === "interrupted", `the runs to end on b\n${said()}`, 15_000);
  await until(() => marksOf(quick).includes("1 end"), "the quick attempt to end in a's supervisor");

  a.child.kill("SIGCONT");
  woken = true;
  await until(() => (logs.get("a") ?? "").match(/run taken over by another engine/g)?.length === 2, `a to let both runs go\n${said()}`);
  // The first attempt of long, still sleeping in a's supervisor, is stopped (its script would say "1 end" after a minute).
  const firstLong = started(long, 1)!;
  await until(() => !alive(firstLong), "the attempt a still ran to stop");
  assert.deepEqual(marksOf(long), ["1 start", "2 start", "2 end", "1 stopped"]);

  const longTasks = await tasks(long);
  assert.deepEqual(longTasks.map((task) => [task.attempt, task.state]), [[1, "interrupted"], [2, "succeeded"]]);
  assert.match(longTasks[0]!.reason ?? "", /went silent/);
  assert.deepEqual((await tasks(quick)).map((task) => [task.attempt, task.state]), [[1, "interrupted"]], "a's late success of the quick attempt was refused");
  const finished = (await pool.query<{ run_id: string; n: string }>(`SELECT run_id, count(*) AS n FROM ${schema}.events WHERE type = 'run.finished' GROUP BY run_id`)).rows;
  assert.deepEqual(Object.fromEntries(finished.map((row) => [row.run_id, Number(row.n)])), { [long]: 1, [quick]: 1 }, "each run ended once");
  assert.equal((await apiGet<{ state: string }>(a, `/runs/${long}`)).state, "succeeded", "a serves the run's state as b recorded it");
  assert.doesNotMatch(logs.get("a") ?? "", /\n\s+at /, "no stack trace");

  await Promise.all([stopEngine(a), stopEngine(b)]);
});

test("a take-over whose answer the leader never heard: the leader finds the run it owns and does not run, and carries it on", async (t) => {
  const { schema, pool, a, b, aId, bId, logs, said, namespace, marksOf, started, stateOf, tasks } = await twoEngines(t);
  const long = await apiStartRun(a, `${namespace}/long`);
  await until(() => started(long, 1) !== undefined, "the first attempt to start", 15_000);
  // What the leader's take-over writes, in one transaction, as if its connection had been cut right after the
  // commit: the run is b's, and a learns at its next heartbeat that runs of its own were taken.
  await pool.query(`BEGIN; SET LOCAL search_path TO ${schema}; UPDATE runs SET owner = '${bId}' WHERE id = '${long}'; UPDATE engines SET rescues = rescues + 1 WHERE id = '${aId}'; COMMIT`);
  await until(() => (logs.get("a") ?? "").includes("run taken over by another engine"), `a to let the run go\n${said()}`);
  await until(async () => (await stateOf(long)) === "succeeded", `b to carry the run on\n${said()}`, 20_000);
  assert.match(logs.get("b") ?? "", /took up 1 run\(s\) of this engine's that it was not running/);
  const rows = await tasks(long);
  assert.deepEqual(rows.map((task) => [task.attempt, task.state]), [[1, "interrupted"], [2, "succeeded"]], "the attempt a ran counts as interrupted, and the retry runs on b");
  assert.match(rows[0]!.reason ?? "", /the store's answer to a change of it was lost/);
  assert.deepEqual(marksOf(long), ["1 start", "1 stopped", "2 start", "2 end"], "a stopped its attempt before b ran the retry: none ran twice at once");
  await Promise.all([stopEngine(a), stopEngine(b)]);
});

async function leads(engine: RunningEngine): Promise<boolean> {
  const info = await apiGet<{ scheduling: { leading: boolean } | null }>(engine, "/engine").catch(() => undefined);
  return info?.scheduling?.leading === true;
}

test("an engine cut off from the database stops, by its own clock, the attempt a take-over would run again, before the leader runs it", async (t) => {
  const proxy = await startTcpProxy();
  t.after(() => proxy.close());
  const { a, b, bId, logs, said, namespace, marksOf, field, started, ownerOf, stateOf, tasks } = await twoEngines(t, { aStore: (url) => proxy.through(url) });
  const long = await apiStartRun(a, `${namespace}/long`);
  await until(() => started(long, 1) !== undefined, "the first attempt to start", 15_000);

  // Nothing reaches the database from a any more, and nothing says so: its heartbeats fail.
  proxy.blackhole(true);
  await until(async () => (await ownerOf(long)) === bId, `b to take the run over\n${said()}`, 15_000);
  await until(async () => (await stateOf(long)) === "succeeded", `the retry to succeed on b\n${said()}`, 15_000);
  const stoppedAt = field(long, "1 stopped", 2);
  const retriedAt = field(long, "2 start", 3);
  assert.ok(stoppedAt !== undefined, `a stopped its attempt itself: ${marksOf(long).join(", ")}\n${said()}`);
  assert.ok(stoppedAt < retriedAt!, `the first attempt stopped (${stoppedAt}) before the retry started on b (${retriedAt}): never both at once`);
  assert.match(logs.get("a") ?? "", /could not reach the store for \d+ s/);

  // Back in touch: a's late end of the first attempt is refused, and the run stays as b recorded it.
  proxy.blackhole(false);
  await until(() => (logs.get("a") ?? "").includes("run taken over by another engine"), `a to let the run go\n${said()}`, 20_000);
  const rows = await tasks(long);
  assert.deepEqual(rows.map((row) => [row.attempt, row.state]), [[1, "interrupted"], [2, "succeeded"]]);
  assert.deepEqual(marksOf(long), ["1 start", "1 stopped", "2 start", "2 end"]);
  await Promise.all([stopEngine(a), stopEngine(b)]);
});

test("an engine cut off while its heartbeat's connection awaited an answer beats again once back in touch, and stops when told to", async (t) => {
  const proxy = await startTcpProxy();
  t.after(() => proxy.close());
  const { schema, pool, a, b, aId, said } = await twoEngines(t, { aStore: (url) => proxy.through(url) });
  // After each heartbeat an engine looks for runs handed to it (a DELETE on run_handovers), on the heartbeat's one connection.
  // The table held, that look waits on the server; the link then drops everything, and its answer is lost on the way back.
  const holder = await pool.connect();
  try {
    await holder.query("BEGIN");
    await holder.query(`LOCK TABLE ${schema}.run_handovers IN EXCLUSIVE MODE`);
    const waiting = async () =>
      (await pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE '%run_handovers%'`, [`spire-roster ${aId.slice(0, 8)}`])).rowCount! > 0;
    await until(waiting, `a's look for handed runs to wait for the table\n${said()}`, 15_000);
    proxy.blackhole(true);
  } finally {
    await holder.query("ROLLBACK");
    holder.release();
  }
  const beatAt = async () => (await pool.query<{ at: Date }>(`SELECT heartbeat_at AS at FROM ${schema}.engines WHERE id = $1`, [aId])).rows[0]!.at.getTime();
  const silentSince = await beatAt();
  proxy.blackhole(false);
  // The look's answer never comes: without a deadline it would hold the heartbeat's one connection, and a's shutdown, for good.
  await until(async () => (await beatAt()) > silentSince, `a to beat again\n${said()}`, 20_000);
  // Its drain may wait for the store's statements the silent link swallowed: each has 15 s to be answered.
  const stopped = await Promise.race([stopEngine(a).then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 45_000).unref())]);
  if (!stopped) a.child.kill("SIGKILL");
  assert.ok(stopped, `a stopped within 45 s of its SIGTERM\n${said()}`);
  await stopEngine(b);
});
