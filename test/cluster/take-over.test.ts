/**
 * Two `spire engine` processes on one real PostgreSQL; the one running two
 * runs is frozen (SIGSTOP) past the rescue time while its supervisor keeps
 * running their tasks. The leader takes both runs over: the one with a
 * retry goes on there and succeeds, the one without ends interrupted. When
 * the frozen engine wakes, it lets them go: the attempt it still ran is
 * stopped, and the result that came in while it was frozen is refused, so
 * nothing is recorded twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { apiGet, apiStartRun, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { adminPool, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";
import { alive, until } from "../helpers/poll.js";

checkNoLeftoverProcesses();

test("an engine frozen past the rescue time: the leader takes its runs over, and the frozen one, woken, stops what it still ran and records nothing of them", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-take-over-");
  const marks = join(dir, "marks");
  mkdirSync(marks);
  // Each attempt says when it starts (with its shell's pid) and ends; the first attempt of `long` would run for a minute.
  const script = `echo "$SPIRE_ATTEMPT start $$" >> "$MARKS/$SPIRE_RUN_ID"; if [ "$SPIRE_ATTEMPT" = 1 ]; then sleep $FIRST; fi; echo "$SPIRE_ATTEMPT end" >> "$MARKS/$SPIRE_RUN_ID"`;
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
  const flags = ["--store", store, "--leader-lease", "2s", "--rescue-after", "3s", "-f", file];
  const logs = new Map<string, string>();
  const start = async (name: string) => {
    const engine = await startEngine(t, join(dir, name), flags);
    engine.child.stderr?.on("data", (chunk: Buffer) => logs.set(name, (logs.get(name) ?? "") + chunk.toString()));
    return engine;
  };
  const said = () => [...logs].map(([name, text]) => `--- ${name}\n${text.split("\n").slice(-20).join("\n")}`).join("\n");
  // b starts first and leads; a, with b's secret, runs the two runs.
  const b = await start("b");
  await until(() => leads(b), "b to lead", 15_000);
  mkdirSync(join(dir, "a"), { mode: 0o700 });
  copyFileSync(join(dir, "b", "secret"), join(dir, "a", "secret"));
  chmodSync(join(dir, "a", "secret"), 0o600);
  const a = await start("a");
  const pool = await adminPool();
  const namespace = (await pool.query<{ namespace: string }>(`SELECT namespace FROM ${schema}.pipelines LIMIT 1`)).rows[0]!.namespace;
  const long = await apiStartRun(a, `${namespace}/long`);
  const quick = await apiStartRun(a, `${namespace}/quick`);
  // Lines without the pids: "1 start", "2 end".
  const lines = (run: string) => (existsSync(join(marks, run)) ? readFileSync(join(marks, run), "utf8").trim().split("\n") : []);
  const marksOf = (run: string) => lines(run).map((line) => line.split(" ").slice(0, 2).join(" "));
  const started = (run: string, attempt: number) => {
    const line = lines(run).find((text) => text.startsWith(`${attempt} start `));
    return line === undefined ? undefined : Number(line.split(" ")[2]);
  };
  await until(() => started(long, 1) !== undefined && started(quick, 1) !== undefined, "both first attempts to start", 15_000);

  a.child.kill("SIGSTOP");
  let woken = false;
  t.after(() => {
    if (!woken) a.child.kill("SIGCONT");
  });
  const bId = readFileSync(join(dir, "b", "engine-id"), "utf8").trim();
  const ownerOf = async (run: string) => (await pool.query<{ owner: string }>(`SELECT owner FROM ${schema}.runs WHERE id = $1`, [run])).rows[0]?.owner;
  const stateOf = async (run: string) => (await pool.query<{ state: string }>(`SELECT state FROM ${schema}.runs WHERE id = $1`, [run])).rows[0]?.state;
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
  assert.deepEqual(marksOf(long), ["1 start", "2 start", "2 end"]);

  const tasks = async (run: string) => (await pool.query<{ attempt: number; state: string; reason: string | null }>(`SELECT attempt, state, reason FROM ${schema}.task_runs WHERE run_id = $1 ORDER BY attempt`, [run])).rows;
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

async function leads(engine: RunningEngine): Promise<boolean> {
  const info = await apiGet<{ scheduling: { leading: boolean } | null }>(engine, "/engine").catch(() => undefined);
  return info?.scheduling?.leading === true;
}
