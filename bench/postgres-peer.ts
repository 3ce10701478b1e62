/**
 * bench/postgres's peer worker process: graphile-worker or pg-boss working
 * the queue `work` in its own schema, the job being what a Spire task of
 * `exec: ["true"]` is: spawn /bin/true and await its exit. A job whose
 * payload has `tag` spawns `date +%s%N` instead and tells the parent (IPC)
 * when it spawned (realtime ns, just before spawn()) and what the process's
 * clock said, for the trigger → spawn latency.
 *
 *   node dist/bench/postgres-peer.js graphile|pgboss URL SCHEMA CONCURRENCY [PGBOSS_BATCH]
 *
 * Sends {ready: true} once it works the queue; stops cleanly on SIGTERM.
 */
import { spawn } from "node:child_process";
import { run, type Runner } from "graphile-worker";
import PgBoss from "pg-boss";
import { calibrateRealtime } from "./lib.js";

const [kind, url, schema, concurrencyText, batchText] = process.argv.slice(2);
if ((kind !== "graphile" && kind !== "pgboss") || !url || !schema || !concurrencyText) {
  console.error("usage: postgres-peer.js graphile|pgboss URL SCHEMA CONCURRENCY [PGBOSS_BATCH]");
  process.exit(2);
}
const concurrency = Number(concurrencyText);
const QUEUE = "work";
const clockOffset = calibrateRealtime();
const realtimeNs = () => process.hrtime.bigint() + clockOffset;

export interface PeerReport {
  tag: string;
  /** Realtime ns just before spawn(). */
  spawnNs: string;
  /** The process's own `date +%s%N`. */
  ranNs: string;
}

/** The job: one process, awaited; a non-zero exit fails the job. */
async function job(payload: { tag?: string } | null | undefined): Promise<void> {
  const tag = payload?.tag;
  const spawnNs = realtimeNs();
  const child = tag === undefined ? spawn("true", [], { stdio: "ignore" }) : spawn("date", ["+%s%N"], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) throw new Error(`exited ${code}`);
  if (tag !== undefined) process.send!({ tag, spawnNs: String(spawnNs), ranNs: out.trim() } satisfies PeerReport);
}

async function startGraphile(): Promise<() => Promise<void>> {
  const runner: Runner = await run({ connectionString: url!, schema: schema!, concurrency, noHandleSignals: true, taskList: { [QUEUE]: (payload) => job(payload as { tag?: string }) } });
  return () => runner.stop();
}

/**
 * pg-boss 10 has no concurrency setting: a worker (work()) fetches up to
 * batchSize jobs, runs its handler, and polls again no sooner than its
 * interval (0.5 s at the least) after the last fetch began. So
 * CONCURRENCY workers, each taking a batch and running it one job at a time:
 * at most CONCURRENCY processes at once, and batches big enough that a
 * worker is busy past its interval while there is work.
 */
async function startPgBoss(): Promise<() => Promise<void>> {
  const boss = new PgBoss({ connectionString: url!, schema: schema!, application_name: "bench pg-boss worker" });
  boss.on("error", (error) => console.error("pg-boss:", error.message));
  await boss.start();
  await boss.createQueue(QUEUE);
  const batchSize = Number(batchText ?? "50");
  for (let index = 0; index < concurrency; index++) {
    await boss.work<{ tag?: string }>(QUEUE, { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      for (const each of jobs) await job(each.data);
    });
  }
  return () => boss.stop({ graceful: true, wait: true });
}

const stop = await (kind === "graphile" ? startGraphile() : startPgBoss());
process.send!({ ready: true });
process.once("SIGTERM", () => {
  void stop().then(
    () => process.exit(0),
    (error: Error) => {
      console.error(`stopping: ${error.message}`);
      process.exit(1);
    },
  );
});
