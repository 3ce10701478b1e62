/**
 * Three `spire engine` processes on one real PostgreSQL, a one-second
 * schedule with catch-up, and the leader treated badly: killed with -9,
 * then the next one frozen (SIGSTOP) for longer than its lease and let go,
 * and the third's connections ended by the server (pg_terminate_backend).
 * The killed one comes back on its data folder and takes up its own runs;
 * the pipeline paused through an engine that does not lead stops firing.
 * At the end every slot from the first to the last ran exactly once (none
 * twice, none skipped), and every run succeeded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { apiGet, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { adminPool, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";
import { assertEverySlotOnce, leaderAmong, leading, runCount, shareSecret, slotsOf, terminateConnectionsOf, waitForRunsIn, waitUntilQuiet } from "./shared-store.js";

checkNoLeftoverProcesses();

const LEASE_MS = 3000;

test("three engines on one PostgreSQL: a 1 s schedule survives its leader killed with -9 and the next one frozen past its lease; each slot runs exactly once", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-engines-");
  const file = join(dir, "spire.yaml");
  // A long queue: while a frozen engine's run still holds the one place (until the leader rescues it), the slots due meanwhile wait
  // rather than being refused as a full queue (the default 10 places are a few seconds of a loaded machine).
  writeFileSync(file, `pipelines:\n  tick:\n    catchup: all\n    queue: { limit: 1000 }\n    triggers:\n      - every: 1s\n    tasks:\n      beat: { exec: ["true"] }\n`);
  const store = `${POSTGRES_URL}?schema=${schema}`;
  const logs = new Map<string, string>();
  const start = async (name: string) => {
    const engine = await startEngine(t, join(dir, name), ["--store", store, "--leader-lease", `${LEASE_MS / 1000}s`, "-f", file]);
    engine.child.stderr?.on("data", (chunk: Buffer) => logs.set(name, (logs.get(name) ?? "") + chunk.toString()));
    return engine;
  };
  // What the engines said, when something did not come in time.
  const said = () => [...logs].map(([name, text]) => `--- ${name}\n${text.split("\n").slice(-15).join("\n")}`).join("\n");
  const activity = async () => JSON.stringify((await (await adminPool()).query("SELECT application_name, state, wait_event_type, left(query, 80) AS query FROM pg_stat_activity WHERE application_name LIKE 'spire-%'")).rows, null, 1);
  const waitForRuns = (count: number) => waitForRunsIn(schema, count).catch(async (error: Error) => Promise.reject(new Error(`${error.message}\n${said()}\n${await activity()}`)));
  const engines: RunningEngine[] = [];
  const names = new Map<RunningEngine, string>();
  const first = await start("a");
  names.set(first, "a");
  engines.push(first);
  await leaderAmong([first]);
  // An engine with a secret of its own is refused: the others' tokens would not work on it.
  const stranger = await spire(["engine", "--listen", "127.0.0.1:0", "--store", store], { data: join(dir, "stranger") });
  assert.equal(stranger.code, 2, stranger.stderr);
  assert.match(stranger.stderr, /is not the one the other engines on this database sign with/);
  assert.match(stranger.stderr, /Copy the secret file of an engine already on this database to .*stranger\/secret/);
  // The others get the first one's secret, as the guide says.
  for (const name of ["b", "c"]) {
    shareSecret(join(dir, "a"), join(dir, name));
    const engine = await start(name);
    names.set(engine, name);
    engines.push(engine);
  }
  // A token made through one engine works on every other.
  const token = readFileSync(join(dir, "a", "token"), "utf8").trim();
  const onC = await fetch(`${engines[2]!.url}/api/v1/runs?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(onC.status, 200, await onC.text());
  // GET /engine says which one leads: exactly one.
  const { engine: leader } = await leaderAmong(engines);
  const leads = await Promise.all(engines.map(leading));
  assert.deepEqual(leads.filter(Boolean), [true], "one leader among three");

  // The leader dies without a word: another leads within the lease and a try.
  await waitForRuns(3);
  // Every engine shows when tick fires next, also one that does not lead, fires nothing, and planned its slot seconds ago
  // (a leader's timer may be a little late under load).
  await waitForRuns((await runCount(schema)) + 3);
  for (const engine of engines) {
    const asked = Date.now();
    const { pipelines } = await apiGet<{ pipelines: { name: string; next_fire_at: string | null }[] }>(engine, "/pipelines");
    const next = Date.parse(pipelines.find((pipeline) => pipeline.name === "tick")?.next_fire_at ?? "");
    assert.ok(next > asked - 1_000 && next <= asked + 2_000, `engine ${names.get(engine)} says tick fires next at ${new Date(next).toISOString()}, asked at ${new Date(asked).toISOString()}`);
  }
  const killedAt = performance.now();
  leader.child.kill("SIGKILL");
  await leader.exit;
  const alive = engines.filter((engine) => engine !== leader);
  const { engine: second, at: tookOver } = await leaderAmong(alive).catch((error: Error) => Promise.reject(new Error(`${error.message}\n${said()}`)));
  assert.ok(tookOver - killedAt < LEASE_MS + 2500, `took over ${Math.round(tookOver - killedAt)} ms after the kill (lease ${LEASE_MS} ms)`);

  // The new leader freezes for longer than its lease: the third takes over meanwhile.
  await waitForRuns((await runCount(schema)) + 2);
  const third = alive.find((engine) => engine !== second)!;
  second.child.kill("SIGSTOP");
  await leaderAmong([third]);
  await waitForRuns((await runCount(schema)) + 2);
  // The leader's connections cut by the server (pg_terminate_backend): it reconnects and goes on leading.
  const terminated = await terminateConnectionsOf(third);
  assert.ok(terminated >= 3, `${terminated} connections of the leader ended (store, lease, listener)`);
  await waitForRuns((await runCount(schema)) + 2);
  await leaderAmong([third]);
  second.child.kill("SIGCONT");
  // Woken, it finds its lease lapsed by its own clock: the first thing it answers is that it does not lead.
  assert.equal(await leading(second), false);
  await waitForRuns((await runCount(schema)) + 2);

  // The killed engine comes back on its data folder: it takes up its own unfinished runs, and follows.
  const back = await start(names.get(leader)!);
  await waitForRuns((await runCount(schema)) + 2);

  // Paused through an engine that does not lead: the leader hears of it and fires no more.
  const follower = (await leading(back)) ? second : back;
  const namespace = (await (await adminPool()).query<{ namespace: string }>(`SELECT namespace FROM ${schema}.pipelines`)).rows[0]!.namespace;
  const paused = await fetch(`${follower.url}/api/v1/pipelines/${namespace}/tick/pause`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  assert.equal(paused.status, 200, await paused.text());
  const pausedAt = Date.now();
  await waitUntilQuiet(schema).catch((error: Error) => {
    const ids = ["a", "b", "c"].map((name) => `${name}=${readFileSync(join(dir, name, "engine-id"), "utf8").trim()}`).join(" ");
    throw new Error(`${error.message}\nengines: ${ids}; killed ${names.get(leader)}, frozen ${names.get(second)}\n${said()}`);
  });
  const after = (await (await adminPool()).query<{ count: string }>(`SELECT count(*) FROM ${schema}.runs WHERE created_at > $1`, [pausedAt + 1500])).rows[0]!.count;
  assert.equal(Number(after), 0, "no run made after the pause reached the leader");
  await Promise.all([stopEngine(second), stopEngine(third), stopEngine(back)]);

  const pool = await adminPool();
  const runs = (await pool.query<{ state: string; owner: string | null; reason: string | null }>(`SELECT state, owner, reason FROM ${schema}.runs ORDER BY created_at`)).rows;
  assertEverySlotOnce(await slotsOf(schema, "tick"));
  assert.ok(runs.length >= 8, `${runs.length} runs`);
  const owners = (await pool.query<{ owner: string }>(`SELECT DISTINCT owner FROM ${schema}.runs WHERE owner IS NOT NULL ORDER BY owner`)).rows.length;
  assert.ok(owners >= 2, "runs were made by more than one engine");
  const unfinished = runs.filter((run) => run.state === "queued" || run.state === "running");
  assert.deepEqual(unfinished, [], "every run ended");
  assert.deepEqual(runs.filter((run) => run.state !== "succeeded"), [], "every run succeeded");
});
