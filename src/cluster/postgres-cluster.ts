/**
 * An engine's place among the engines sharing one PostgreSQL: its own small
 * pool for the lease (so a busy store pool never delays a renewal: the
 * failure River #695 describes), and the LISTEN connection that hears the
 * others' hand-overs.
 */
import { createHmac, randomUUID } from "node:crypto";
import pg from "pg";
import { DEFAULT_LEASE_MS, schedulingLeadership } from "./leader-lease.js";
import { Listener } from "./pg-listener.js";
import type { DefinitionChanges, SchedulingLeadership } from "./port.js";

const DEFINITIONS_CHANNEL = "spire_definitions";

export interface ClusterMembership {
  /** This engine process's id among the others. */
  id: string;
  leadership: SchedulingLeadership;
  definitions: DefinitionChanges;
  close(): Promise<void>;
}

/** Another engine on the database signs with another secret: its tokens would not work here, nor this one's there. */
export class SecretMismatchError extends Error {
  override readonly name = "SecretMismatchError";
}

export interface JoinOptions {
  url: string;
  /** The engine's lasting id (engine-id.ts): its connections say it in pg_stat_activity, so an operator sees whose they are. */
  engineId: string;
  schema?: string;
  /** How long the lead lasts without renewal (default 10 s: failover after a kill -9 within about 11 s). */
  leaseMs?: number;
  /** The engine's signing secret: its fingerprint must match the other engines'. */
  secret: Uint8Array;
  /** Where the secret file is, for the message when it does not match. */
  secretFile: string;
  onProblem(message: string): void;
}

export async function joinPostgresCluster(options: JoinOptions): Promise<ClusterMembership> {
  const id = randomUUID();
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 2,
    application_name: `spire-lease ${options.engineId.slice(0, 8)}`,
    // A lease that waits long for a connection or an answer is as good as lost: the engine's clock steps it down first.
    // Without a deadline for the answer, a connection gone silent would hold the lease's next try back for good.
    connectionTimeoutMillis: 5000,
    query_timeout: options.leaseMs ?? DEFAULT_LEASE_MS,
    ...(options.schema !== undefined ? { options: `-c search_path=${pg.escapeIdentifier(options.schema)}` } : {}),
  });
  pool.on("error", (error) => options.onProblem(`the lease's connection: ${error.message}`));
  // Lost while in use: the query fails (and the lease steps down), the process goes on.
  pool.on("connect", (client) => client.on("error", () => {}));
  try {
    await checkSecret(pool, options.secret, options.secretFile);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const listener = new Listener({ connectionString: options.url, applicationName: `spire-listener ${options.engineId.slice(0, 8)}`, onProblem: options.onProblem });
  await listener.start();
  const leadership = schedulingLeadership({ pool, holder: id, listener, ttlMs: options.leaseMs ?? DEFAULT_LEASE_MS, onProblem: options.onProblem });
  const rereads: NodeJS.Timeout[] = [];
  const definitions: DefinitionChanges = {
    announce() {
      pool.query("SELECT pg_notify($1, $2)", [DEFINITIONS_CHANNEL, id]).catch((error: Error) => options.onProblem(`the other engines were not told of a change of definitions (they read them again within a minute): ${error.message}`));
    },
    listen(changed) {
      listener.on(DEFINITIONS_CHANNEL, (from) => from !== id && changed(), changed);
      // The hint may be lost (a connection that dropped without a word): read again now and then all the same.
      rereads.push(setInterval(changed, 60_000).unref());
    },
  };
  return {
    id,
    leadership,
    definitions,
    async close() {
      for (const timer of rereads) clearInterval(timer);
      await leadership.stop();
      await listener.stop();
      await pool.end();
    },
  };
}

/**
 * The first engine records its secret's fingerprint (an HMAC of a fixed
 * text under the secret: it tells secrets apart and gives nothing of one
 * away); every later one must have the same.
 */
async function checkSecret(pool: pg.Pool, secret: Uint8Array, secretFile: string): Promise<void> {
  const fingerprint = createHmac("sha256", secret).update("spire: fingerprint of the engines' shared secret").digest("hex");
  await pool.query("INSERT INTO spire_cluster (key, value) VALUES ('secret_fingerprint', $1) ON CONFLICT (key) DO NOTHING", [fingerprint]);
  const { rows } = await pool.query<{ value: string }>("SELECT value FROM spire_cluster WHERE key = 'secret_fingerprint'");
  if (rows[0]?.value === fingerprint) return;
  throw new SecretMismatchError(
    `this engine's secret (${secretFile}) is not the one the other engines on this database sign with: the tokens of one would not work on the other`,
  );
}
