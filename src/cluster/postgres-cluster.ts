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
import type { DefinitionChanges, EngineRoster, PlaceHints, RunRequestHints, SchedulingLeadership, StoreChangeHints } from "./port.js";
import { HAND_OVERS_CHANNEL, heartbeatEvery, PostgresEngineRoster } from "./engine-roster.js";
import { MISSED_CHANNEL, PLACES_CHANNEL, RUN_REQUESTS_CHANNEL, RUNS_REMOVED_CHANNEL } from "../store/postgres/index.js";
import { endPool } from "../store/postgres/goodbye.js";

const DEFINITIONS_CHANNEL = "spire_definitions";
/** An engine silent this long has its runs taken over: long past a pause for garbage collection or a brief network cut, soon enough for a person waiting. */
export const DEFAULT_RESCUE_AFTER_MS = 30_000;

export interface ClusterMembership {
  /** This engine process's id among the others. */
  id: string;
  leadership: SchedulingLeadership;
  definitions: DefinitionChanges;
  roster: EngineRoster;
  runRequests: RunRequestHints;
  /** Runs another engine handed to this one (its workers can run them). */
  handOvers: RunRequestHints;
  /** A run may start now: one that held its pipeline's place or a lock ended on some engine. */
  places: PlaceHints;
  /** Some engine stored a `missed` record (every engine's event stream reads it). */
  missed: StoreChangeHints;
  /** Some engine removed runs (retention): what this one keeps of them goes. */
  removedRuns: StoreChangeHints;
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
  /** How long an engine may be silent before the leader takes its runs over (default 30 s). */
  rescueAfterMs?: number;
  /** The engine's signing secret: its fingerprint must match the other engines'. */
  secret: Uint8Array;
  /** Where the secret file is, for the message when it does not match. */
  secretFile: string;
  onProblem(message: string): void;
}

export async function joinPostgresCluster(options: JoinOptions): Promise<ClusterMembership> {
  const id = randomUUID();
  // Without a deadline for the answer, a connection gone silent would hold the lease's next try back for good.
  const pool = smallPool(options, 2, "spire-lease", "the lease's connection", { answerMs: options.leaseMs ?? DEFAULT_LEASE_MS });
  try {
    await checkSecret(pool, options.secret, options.secretFile);
  } catch (error) {
    await endPool(pool);
    throw error;
  }
  const rescueAfterMs = options.rescueAfterMs ?? DEFAULT_RESCUE_AFTER_MS;
  // A heartbeat that cannot connect fails before the next is due: an engine cut off counts its silence in beats.
  const rosterPool = smallPool(options, 1, "spire-roster", "the heartbeat's connection", { connectMs: heartbeatEvery(rescueAfterMs) });
  const roster = new PostgresEngineRoster({ pool: rosterPool, engineId: options.engineId, rescueAfterMs, onProblem: options.onProblem });
  try {
    await roster.register();
  } catch (error) {
    await Promise.all([endPool(pool), endPool(rosterPool)]);
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
  // The store's NOTIFY names the engine the request is for (its lasting id): the others let it pass.
  const runRequests: RunRequestHints = {
    listen: (heard) => listener.on(RUN_REQUESTS_CHANNEL, (owner) => owner === options.engineId && heard(), heard),
  };
  const handOvers: RunRequestHints = {
    listen: (heard) => listener.on(HAND_OVERS_CHANNEL, (to) => to === options.engineId && heard(), heard),
  };
  const places: PlaceHints = {
    listen: (heard) => listener.on(PLACES_CHANNEL, heard, () => heard("")),
  };
  // For every engine, whichever made the change (this one included). The payload is the schema the store changed in:
  // engines on other schemas of the database (other Spires) let it pass.
  const changeHints = (channel: string): StoreChangeHints => ({ listen: (heard) => listener.on(channel, (schema) => (options.schema === undefined || schema === options.schema) && heard(), heard) });
  return {
    id,
    leadership,
    definitions,
    roster,
    runRequests,
    handOvers,
    places,
    missed: changeHints(MISSED_CHANNEL),
    removedRuns: changeHints(RUNS_REMOVED_CHANNEL),
    async close() {
      for (const timer of rereads) clearInterval(timer);
      await roster.stop();
      await endPool(rosterPool);
      await leadership.stop();
      await listener.stop();
      await endPool(pool);
    },
  };
}

/**
 * A pool of its own for the lease or the heartbeat (`max` connections): a
 * busy store pool never delays them. One that waits long for a connection or
 * an answer is as good as failed: the lease's own clock steps it down first.
 */
function smallPool(options: JoinOptions, max: number, application: string, what: string, deadlines: { connectMs?: number; answerMs?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    application_name: `${application} ${options.engineId.slice(0, 8)}`,
    connectionTimeoutMillis: deadlines.connectMs ?? 5000,
    ...(deadlines.answerMs !== undefined ? { query_timeout: deadlines.answerMs } : {}),
    ...(options.schema !== undefined ? { options: `-c search_path=${pg.escapeIdentifier(options.schema)}` } : {}),
  });
  pool.on("error", (error) => options.onProblem(`${what}: ${error.message}`));
  // Lost while in use: the query fails (and the lease steps down), the process goes on.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
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
