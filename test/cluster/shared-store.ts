/**
 * What the tests of several engines on one PostgreSQL look at: who leads
 * (each engine's GET /engine), and what they wrote to the shared schema
 * (the thing under test is the database, so it is polled there).
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { apiGet, startEngine, type RunningEngine } from "../helpers/engine.js";
import { finished, spire, startSpire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { adminPool, POSTGRES_URL } from "../helpers/postgres.js";

/**
 * A data folder for another engine, with the signing secret of the engine in
 * `from` (engines sharing a database must have the same: see SecretMismatchError).
 */
export function shareSecret(from: string, to: string): void {
  mkdirSync(to, { mode: 0o700 });
  copyFileSync(join(from, "secret"), join(to, "secret"));
  chmodSync(join(to, "secret"), 0o600);
}

/**
 * Starts engines on one schema with the definitions in `file`, each in a
 * data folder of `dir` named after it (with the first one's secret), and
 * keeps what they say: `said()` is the end of each, for a failure to explain itself.
 */
export function engineStarter(t: TestContext, options: { dir: string; schema: string; file: string; extra?: string[] }) {
  const logs = new Map<string, string>();
  let first: string | undefined;
  const start = async (name: string): Promise<RunningEngine> => {
    const data = join(options.dir, name);
    first ??= data;
    if (data !== first && !existsSync(data)) shareSecret(first, data);
    const engine = await startEngine(t, data, ["--store", `${POSTGRES_URL}?schema=${options.schema}`, "-f", options.file, ...(options.extra ?? [])]);
    engine.child.stderr?.on("data", (chunk: Buffer) => logs.set(name, (logs.get(name) ?? "") + chunk.toString()));
    return engine;
  };
  const said = () => [...logs].map(([name, text]) => `--- ${name}\n${text.split("\n").slice(-15).join("\n")}`).join("\n");
  /** All that engine `name` said so far. */
  const logOf = (name: string) => logs.get(name) ?? "";
  return { start, said, logOf };
}

/** Whether the engine says it leads the scheduling (GET /engine); false while it does not answer (within 2 s). */
export async function leading(engine: RunningEngine): Promise<boolean> {
  return (await leadingAnswer(engine)) === true;
}

/** What the engine says of its leading (GET /engine); undefined when it does not answer within 2 s. */
export async function leadingAnswer(engine: RunningEngine): Promise<boolean | undefined> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  try {
    const response = await fetch(`${engine.url}/api/v1/engine`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2000) });
    if (!response.ok) return undefined;
    return ((await response.json()) as { scheduling: { leading: boolean } | null }).scheduling?.leading === true;
  } catch {
    return undefined;
  }
}

/** The first of `candidates` to say it leads, and when it was seen to. */
export async function leaderAmong(candidates: RunningEngine[], withinMs = 15_000): Promise<{ engine: RunningEngine; at: number }> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const answers = await Promise.all(candidates.map(leading));
    const index = answers.indexOf(true);
    if (index >= 0) return { engine: candidates[index]!, at: performance.now() };
    if (performance.now() > deadline) throw new Error(`none of ${candidates.length} engine(s) leads within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The engine's lasting id (its data folder's): the owner of the runs it makes, and the start of its connections' application_name. */
export function engineIdOf(engine: RunningEngine): string {
  return readFileSync(join(engine.data, "engine-id"), "utf8").trim();
}

/** Ends every connection of one engine (its id starts each application_name it sets). */
export async function terminateConnectionsOf(engine: RunningEngine): Promise<number> {
  const pool = await adminPool();
  const ended = await pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE $1", [`spire-% ${engineIdOf(engine).slice(0, 8)}`]);
  return ended.rowCount ?? 0;
}

export async function runCount(schema: string, pipeline?: string): Promise<number> {
  const pool = await adminPool();
  const where = pipeline === undefined ? "" : " WHERE pipeline = $1";
  return Number((await pool.query<{ count: string }>(`SELECT count(*) FROM ${schema}.runs${where}`, pipeline === undefined ? [] : [pipeline])).rows[0]!.count);
}

/** Until no run is queued or running and none was made for 2 s. */
export async function waitUntilQuiet(schema: string, withinMs = 15_000): Promise<void> {
  const pool = await adminPool();
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { rows } = await pool.query<{ busy: string; newest: string | null }>(`SELECT count(*) FILTER (WHERE state IN ('queued', 'running')) AS busy, max(created_at) AS newest FROM ${schema}.runs`);
    if (Number(rows[0]!.busy) === 0 && Date.now() - Number(rows[0]!.newest ?? 0) > 2000) return;
    if (Date.now() > deadline) {
      const busy = (await pool.query(`SELECT id, pipeline, state, owner, "trigger", created_at, started_at FROM ${schema}.runs WHERE state IN ('queued', 'running')`)).rows;
      throw new Error(`runs still come or run after ${withinMs} ms: ${JSON.stringify(rows[0])} ${JSON.stringify(busy)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Until the schema holds `count` runs (of `pipeline`, when given). */
export async function waitForRunsIn(schema: string, count: number, withinMs = 15_000, pipeline?: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while ((await runCount(schema, pipeline).catch(() => 0)) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} runs${pipeline ? ` of ${pipeline}` : ""} within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The slots of a schedule's runs, in ms: each must appear once, and one second after the one before (every: 1s, catchup: all). */
export async function slotsOf(schema: string, pipeline: string): Promise<number[]> {
  const pool = await adminPool();
  const { rows } = await pool.query<{ slot: string }>(`SELECT (("trigger"::json)->>'scheduled_at') AS slot FROM ${schema}.runs WHERE pipeline = $1 ORDER BY created_at`, [pipeline]);
  return rows.map((row) => Date.parse(row.slot));
}

/** Each slot ran once, and none between the first and the last was skipped (a schedule every `stepMs` with catchup: all). */
export function assertEverySlotOnce(slots: number[], stepMs = 1000): void {
  assert.equal(new Set(slots).size, slots.length, "no slot ran twice");
  const sorted = [...slots].sort((a, b) => a - b);
  for (let index = 1; index < sorted.length; index++) {
    assert.equal(sorted[index]! - sorted[index - 1]!, stepMs, `no slot skipped between ${new Date(sorted[index - 1]!).toISOString()} and ${new Date(sorted[index]!).toISOString()}`);
  }
}

/** A worker with the label gpu, registered with `engine`: its name, and how to stop it. */
export async function connectWorker(t: TestContext, engine: RunningEngine, dir: string): Promise<{ name: string; stop(): Promise<unknown> }> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const made = await spire(["token", "create", "--scope", "worker", "--name", "gpu-box"], { data: join(dir, "cli"), env: { SPIRE_ENGINE: engine.url, SPIRE_TOKEN: token } });
  assert.equal(made.code, 0, made.stderr);
  mkdirSync(join(dir, "work"));
  const worker = startSpire(["worker", "--engine", engine.url, "--token", made.stdout.trim(), "--name", "gpu-box", "--labels", "gpu", "--data", join(dir, "worker"), "--workdir", join(dir, "work")], { data: join(dir, "worker") });
  const exit = finished(worker);
  let said = "";
  worker.stderr?.on("data", (chunk: Buffer) => void (said += chunk.toString()));
  const stop = async () => {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill("SIGTERM");
    return exit;
  };
  t.after(stop);
  await until(async () => (await apiGet<{ workers: { name: string; state: string }[] }>(engine, "/workers")).workers.some((w) => w.name === "gpu-box" && w.state === "connected"), "the worker to connect", 20_000).catch((error: Error) => {
    throw new Error(`${error.message}; it said: ${said}`);
  });
  return { name: "gpu-box", stop };
}
