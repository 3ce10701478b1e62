/**
 * What a system's PostgreSQL backends are doing, sampled from
 * pg_stat_activity while a batch runs (bench/postgres --waits): how many of
 * them, on average, wait on a lock, on the WAL's fsync, run, or sit in a
 * transaction waiting for their client. Where the time goes when a system
 * cannot use more of the server.
 */
import type pg from "pg";
import { backendsOf, type Attribution } from "./pg-cpu.js";

export interface Waits {
  samples: number;
  /** Backends in each state on average, by "state wait_event_type:wait_event" (idle ones left out). */
  mean: Record<string, number>;
}

export function sampleWaits(admin: pg.Pool, who: Attribution, serverPort: number, everyMs = 20): { stop(): Promise<Waits> } {
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const pids = await backendsOf(admin, who, serverPort);
      const { rows } = await admin.query<{ state: string; what: string }>(
        "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'on a core') AS what FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND state <> 'idle'",
        [pids],
      );
      samples++;
      for (const row of rows) counts.set(`${row.state} ${row.what}`, (counts.get(`${row.state} ${row.what}`) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const mean = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([key, count]) => [key, count / samples]));
      return { samples, mean };
    },
  };
}
