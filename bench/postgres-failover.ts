/**
 * bench/postgres part 3: two engines on one schema with --leader-lease 10s
 * and a pipeline `every: 1s`. The engine that leads is killed with -9, and
 * later the one that took over is stopped cleanly (SIGTERM); each time, how
 * long until the other logs "this engine leads the scheduling now" (the
 * log line's own time) and until the next run is in the runs table (its
 * created_at). The engine killed or stopped is started again on its data
 * folder, as a follower, before the next step.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { newSchema, shareSecret, startEngine, stopEngine, stopOrphanSupervisor, withParam, type BenchContext, type EngineProc } from "./postgres-systems.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const LEADS = "this engine leads the scheduling now";

export interface Handover {
  how: "kill -9" | "SIGTERM";
  /** The signal → the other engine's "leads" log line, ms. */
  leadMs: number;
  /** The signal → the next run's created_at (made by the new leader), ms. */
  runMs: number;
  /** That run's created_at − its slot's time, ms. */
  runLateMs: number;
}

export interface Failover {
  handovers: Handover[];
  /** Slots of every: 1s from the first run to the last. */
  slots: number;
  /** Slots with no run (catchup: latest, the default, runs only the latest slot missed). */
  missed: number;
  /** Slots with more than one run: 0 is what leases and the slots' unique key promise. */
  doubled: number;
}

/** The epoch ms of the first "leads" line the engine logged at or after `after`. */
async function leadsAfter(engine: EngineProc, after: number, withinMs = 30_000): Promise<number> {
  for (const deadline = Date.now() + withinMs; ; await sleep(10)) {
    for (const line of readFileSync(engine.logFile, "utf8").split("\n")) {
      if (!line.includes(LEADS)) continue;
      const entry = JSON.parse(line) as { time: number; msg: string };
      if (entry.msg === LEADS && entry.time >= after) return entry.time;
    }
    if (Date.now() > deadline) throw new Error(`${engine.name} did not lead within ${withinMs} ms: ${readFileSync(engine.logFile, "utf8").slice(-1500)}`);
  }
}

const SLOT = `(("trigger"::json)->>'scheduled_at')`;

/** The first run `owner` made at or after `after`: its created_at and its slot's time (epoch ms). */
async function runAfter(admin: pg.Pool, schema: string, owner: string, after: number, withinMs = 30_000): Promise<{ at: number; slot: number }> {
  for (const deadline = Date.now() + withinMs; ; await sleep(10)) {
    const { rows } = await admin.query<{ at: number; slot: string }>(`SELECT created_at::float8 AS at, ${SLOT} AS slot FROM ${schema}.runs WHERE created_at >= $1 AND owner = $2 ORDER BY created_at LIMIT 1`, [after, owner]);
    if (rows[0]) return { at: rows[0].at, slot: Date.parse(rows[0].slot) };
    if (Date.now() > deadline) throw new Error(`no run by ${owner} within ${withinMs} ms`);
  }
}

async function slotsOf(admin: pg.Pool, schema: string): Promise<Omit<Failover, "handovers">> {
  const slots = (await admin.query<{ slot: string }>(`SELECT ${SLOT} AS slot FROM ${schema}.runs`)).rows.map((row) => Date.parse(row.slot));
  const distinct = new Set(slots);
  const span = slots.length === 0 ? 0 : Math.round((Math.max(...slots) - Math.min(...slots)) / 1000) + 1;
  return { slots: span, missed: span - distinct.size, doubled: slots.length - distinct.size };
}

async function runCount(admin: pg.Pool, schema: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.runs`);
  return rows[0]!.n;
}

async function moreRuns(admin: pg.Pool, schema: string, more: number): Promise<void> {
  const target = (await runCount(admin, schema)) + more;
  for (const deadline = Date.now() + 30_000; (await runCount(admin, schema)) < target; await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`fewer than ${target} runs within 30 s`);
  }
}

const ownerOf = (engine: EngineProc) => readFileSync(join(engine.data, "engine-id"), "utf8").trim();

export async function failoverPart(context: BenchContext, rounds: number): Promise<Failover> {
  const schema = newSchema(context, "failover");
  const store = withParam(context.url, "schema", schema);
  const file = join(context.dir, "failover.yaml");
  writeFileSync(file, "pipelines:\n  tick:\n    triggers:\n      - every: 1s\n    tasks:\n      beat: { exec: [\"true\"] }\n");
  const start = (name: string) => startEngine(context, name, store, ["-f", file]);
  const handovers: Handover[] = [];
  const engines: EngineProc[] = [];
  try {
    const startedAt = Date.now();
    engines.push(await start("failover-a"));
    await leadsAfter(engines[0]!, startedAt);
    shareSecret(context, engines[0]!, "failover-b");
    engines.push(await start("failover-b"));
    let leader = 0;
    for (let round = 0; round < rounds; round++) {
      for (const how of ["kill -9", "SIGTERM"] as const) {
        await moreRuns(context.admin, schema, 2);
        const [gone, next] = [engines[leader]!, engines[1 - leader]!];
        const signalAt = Date.now();
        gone.child.kill(how === "kill -9" ? "SIGKILL" : "SIGTERM");
        const leadAt = await leadsAfter(next, signalAt);
        const run = await runAfter(context.admin, schema, ownerOf(next), signalAt);
        handovers.push({ how, leadMs: leadAt - signalAt, runMs: run.at - signalAt, runLateMs: run.at - run.slot });
        console.log(`   ${how.padEnd(8)} ${gone.name} → ${next.name} leads after ${leadAt - signalAt} ms, its first run after ${run.at - signalAt} ms (${run.at - run.slot} ms after its slot)`);
        await gone.exited;
        // Back on its data folder (a killed one takes up its supervisor and its runs), following now.
        engines[leader] = await start(gone.name);
        leader = 1 - leader;
      }
    }
    await moreRuns(context.admin, schema, 2);
  } finally {
    await Promise.all(engines.map(stopEngine));
    for (const engine of engines) stopOrphanSupervisor(engine.data);
  }
  return { handovers, ...(await slotsOf(context.admin, schema)) };
}
