/**
 * An engine's place among the engines sharing one PostgreSQL: its own small
 * pool for the lease (so a busy store pool never delays a renewal: the
 * failure River #695 describes), and the LISTEN connection that hears the
 * others' hand-overs.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { schedulingLeadership } from "./leader-lease.js";
import { Listener } from "./pg-listener.js";
import type { SchedulingLeadership } from "./port.js";

export interface ClusterMembership {
  /** This engine process's id among the others. */
  id: string;
  leadership: SchedulingLeadership;
  close(): Promise<void>;
}

export interface JoinOptions {
  url: string;
  /** The engine's lasting id (engine-id.ts): its connections say it in pg_stat_activity, so an operator sees whose they are. */
  engineId: string;
  schema?: string;
  /** How long the lead lasts without renewal (default 10 s: failover after a kill -9 within about 11 s). */
  leaseMs?: number;
  onProblem(message: string): void;
}

export async function joinPostgresCluster(options: JoinOptions): Promise<ClusterMembership> {
  const id = randomUUID();
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 2,
    application_name: `spire lease ${options.engineId.slice(0, 8)}`,
    // A lease that waits long for a connection or an answer is as good as lost: the engine's clock steps it down first.
    connectionTimeoutMillis: 5000,
    ...(options.schema !== undefined ? { options: `-c search_path=${pg.escapeIdentifier(options.schema)}` } : {}),
  });
  pool.on("error", (error) => options.onProblem(`the lease's connection: ${error.message}`));
  const listener = new Listener({ connectionString: options.url, applicationName: `spire listener ${options.engineId.slice(0, 8)}`, onProblem: options.onProblem });
  await listener.start();
  const leadership = schedulingLeadership({ pool, holder: id, listener, ...(options.leaseMs !== undefined ? { ttlMs: options.leaseMs } : {}), onProblem: options.onProblem });
  return {
    id,
    leadership,
    async close() {
      await leadership.stop();
      await listener.stop();
      await pool.end();
    },
  };
}
