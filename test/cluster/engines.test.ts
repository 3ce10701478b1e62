/**
 * Three `spire engine` processes on one real PostgreSQL, a one-second
 * schedule with catch-up, and the leader treated badly: killed with -9,
 * then the next one frozen (SIGSTOP) for longer than its lease and let go,
 * and the third's connections ended by the server (pg_terminate_backend).
 * The killed one comes back on its data folder and takes up its own runs.
 * At the end every slot from the first to the last ran exactly once (none
 * twice, none skipped), and every run succeeded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { apiGet, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { adminPool, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";

checkNoLeftoverProcesses();

const LEASE_MS = 2000;

/** Resolves when the engine's log says it leads (or, with `false`, that it no longer does). */
function saysItLeads(child: ChildProcess, leading = true, withinMs = 10_000): Promise<number> {
  const words = leading ? "this engine leads the scheduling now" : "this engine no longer leads the scheduling";
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      child.stderr?.off("data", listen);
      reject(new Error(`no "${words}" within ${withinMs} ms`));
    }, withinMs);
    const listen = (chunk: Buffer | string) => {
      seen += chunk.toString();
      if (!seen.includes(words)) return;
      clearTimeout(timer);
      child.stderr?.off("data", listen);
      resolve(performance.now());
    };
    child.stderr?.on("data", listen);
  });
}

test("three engines on one PostgreSQL: a 1 s schedule survives its leader killed with -9 and the next one frozen past its lease; each slot runs exactly once", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-engines-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `pipelines:\n  tick:\n    catchup: all\n    triggers:\n      - every: 1s\n    tasks:\n      beat: { exec: ["true"] }\n`);
  const store = `${POSTGRES_URL}?schema=${schema}`;
  const logs = new Map<string, string>();
  const start = async (name: string) => {
    const engine = await startEngine(t, join(dir, name), ["--store", store, "--leader-lease", `${LEASE_MS / 1000}s`, "-f", file]);
    engine.child.stderr?.on("data", (chunk: Buffer) => logs.set(name, (logs.get(name) ?? "") + chunk.toString()));
    return engine;
  };
  // What the engines said, when something did not come in time.
  const said = () => [...logs].map(([name, text]) => `--- ${name}\n${text.split("\n").slice(-15).join("\n")}`).join("\n");
  const waitForRuns = (count: number) => waitForRunsIn(schema, count).catch((error: Error) => Promise.reject(new Error(`${error.message}\n${said()}`)));
  const engines: RunningEngine[] = [];
  // The first one up leads; the others wait for the lead.
  const first = await start("a");
  engines.push(first);
  await saysItLeads(first.child);
  engines.push(await start("b"), await start("c"));
  // GET /engine says which one leads.
  assert.deepEqual(await Promise.all(engines.map(async (engine) => (await apiGet<{ scheduling: { leading: boolean } | null }>(engine, "/engine")).scheduling)), [{ leading: true }, { leading: false }, { leading: false }]);

  // The leader dies without a word: another leads within the lease and a try.
  await waitForRuns(3);
  const successor = Promise.race(engines.slice(1).map((engine) => saysItLeads(engine.child).then((at) => ({ engine, at }))));
  const killedAt = performance.now();
  first.child.kill("SIGKILL");
  await first.exit;
  const { engine: second, at: tookOver } = await successor;
  assert.ok(tookOver - killedAt < LEASE_MS + 2000, `took over ${Math.round(tookOver - killedAt)} ms after the kill (lease ${LEASE_MS} ms)`);

  // The new leader freezes for longer than its lease: the third takes over meanwhile.
  await waitForRuns((await runCount(schema)) + 2);
  const third = engines.find((engine) => engine !== first && engine !== second)!;
  const thirdLeads = saysItLeads(third.child);
  const secondSteppedDown = saysItLeads(second.child, false, 20_000);
  second.child.kill("SIGSTOP");
  await thirdLeads;
  await waitForRuns((await runCount(schema)) + 2);
  // The leader's connections cut by the server (pg_terminate_backend): it reconnects and goes on leading.
  const terminated = await terminateConnectionsOf(third);
  assert.ok(terminated >= 3, `${terminated} connections of the leader ended (store, lease, listener)`);
  await waitForRuns((await runCount(schema)) + 2);
  assert.deepEqual((await apiGet<{ scheduling: { leading: boolean } }>(third, "/engine")).scheduling, { leading: true });
  second.child.kill("SIGCONT");
  // Woken, it finds its lease lapsed by its own clock before it fires anything.
  await secondSteppedDown;
  await waitForRuns((await runCount(schema)) + 2);

  // The killed engine comes back on its data folder: it takes up its own unfinished runs, and follows.
  const back = await start("a");
  await waitForRuns((await runCount(schema)) + 2);
  await Promise.all([stopEngine(second), stopEngine(third), stopEngine(back)]);

  const pool = await adminPool();
  const runs = (await pool.query<{ slot: string; state: string; owner: string | null }>(`SELECT (("trigger"::json)->>'scheduled_at') AS slot, state, owner FROM ${schema}.runs ORDER BY created_at`)).rows;
  const slots = runs.map((run) => Date.parse(run.slot));
  assert.equal(new Set(slots).size, slots.length, "no slot ran twice");
  const sorted = [...slots].sort((a, b) => a - b);
  for (let index = 1; index < sorted.length; index++) assert.equal(sorted[index]! - sorted[index - 1]!, 1000, `no slot skipped between ${new Date(sorted[index - 1]!).toISOString()} and ${new Date(sorted[index]!).toISOString()}`);
  assert.ok(runs.length >= 8, `${runs.length} runs`);
  const owners = (await pool.query<{ owner: string }>(`SELECT DISTINCT owner FROM ${schema}.runs WHERE owner IS NOT NULL ORDER BY owner`)).rows.length;
  assert.ok(owners >= 2, "runs were made by more than one engine");
  const unfinished = runs.filter((run) => run.state === "queued" || run.state === "running");
  assert.deepEqual(unfinished, [], "every run ended");
  assert.deepEqual([...new Set(runs.map((run) => run.state))], ["succeeded"]);
});

/** Ends every connection of one engine (its id starts each application_name it sets). */
async function terminateConnectionsOf(engine: RunningEngine): Promise<number> {
  const id = readFileSync(join(engine.data, "engine-id"), "utf8").trim().slice(0, 8);
  const pool = await adminPool();
  const ended = await pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE $1", [`spire % ${id}`]);
  return ended.rowCount ?? 0;
}

async function runCount(schema: string): Promise<number> {
  const pool = await adminPool();
  return Number((await pool.query<{ count: string }>(`SELECT count(*) FROM ${schema}.runs`)).rows[0]!.count);
}

/** Polls the shared database (the thing under test is what the engines wrote there). */
async function waitForRunsIn(schema: string, count: number, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while ((await runCount(schema).catch(() => 0)) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} runs within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
