/**
 * The engines on one PostgreSQL, each alive by its heartbeat (migration 5).
 * Heartbeats and the leader's take-overs are written with the database's
 * clock, on a connection of their own: a store pool busy with runs never
 * delays a heartbeat into a false take-over.
 *
 * A take-over moves the unfinished runs of a silent engine to the leader in
 * one statement. `FOR UPDATE SKIP LOCKED` passes over a run whose owner is
 * writing it at that moment (the fencing trigger holds it FOR SHARE): it is
 * taken at the next look, after that write, or never if the owner was only
 * slow and its heartbeat comes back first.
 */
import { hostname } from "node:os";
import pg from "pg";
import type { EngineRoster } from "./port.js";

export interface RosterOptions {
  pool: pg.Pool;
  /** This engine's lasting id: the owner its store writes on its runs. */
  engineId: string;
  /** How long an engine may be silent before its runs are taken over. */
  rescueAfterMs: number;
  onProblem(message: string): void;
}

/** At most this many runs per look: a silent engine's backlog is taken over a batch at a time. */
const BATCH = 200;

const REGISTER = `
INSERT INTO engines (id, host, pid, started_at, heartbeat_at, heartbeat_every)
VALUES ($1, $2, $3, now(), now(), make_interval(secs => $4::double precision / 1000))
ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at = now(), heartbeat_at = now(), heartbeat_every = excluded.heartbeat_every, worker_labels = '[]'
RETURNING rescues`;

const HEARTBEAT = "UPDATE engines SET heartbeat_at = now(), worker_labels = $2::jsonb WHERE id = $1 RETURNING rescues";

/** The channel a hand-over is told on, with the receiving engine's id as its payload. */
export const HAND_OVERS_CHANNEL = "spire_handovers";

// The live engine whose workers cover the most of the run's needs (label sets) takes it, in one statement:
// the owner moves only if it is still this engine (the fencing trigger then refuses this engine's late writes).
const HAND_OVER = `
WITH target AS (
  SELECT e.id,
    (SELECT count(*) FROM jsonb_array_elements($3::jsonb) need
      WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(e.worker_labels) worker WHERE worker @> need)) AS covered
  FROM engines e
  WHERE e.id <> $1 AND e.heartbeat_at >= now() - e.heartbeat_every * 2
  ORDER BY covered DESC, e.heartbeat_at DESC
  LIMIT 1
), moved AS (
  UPDATE runs SET owner = target.id FROM target
  WHERE runs.id = $2 AND runs.owner = $1 AND runs.state IN ('queued', 'running') AND target.covered > 0
  RETURNING runs.id, runs.owner
), noted AS (
  INSERT INTO run_handovers (run_id, to_engine, from_engine) SELECT id, owner, $1 FROM moved
  ON CONFLICT (run_id) DO UPDATE SET to_engine = excluded.to_engine, from_engine = excluded.from_engine, handed_at = now()
)
SELECT owner, pg_notify('${HAND_OVERS_CHANNEL}', owner) FROM moved`;

// Rows for runs that went on elsewhere since (handed on, taken over) are dropped all the same.
const TAKE_HANDED = `
WITH taken AS (DELETE FROM run_handovers WHERE to_engine = $1 RETURNING run_id, from_engine)
SELECT taken.run_id, taken.from_engine FROM taken JOIN runs ON runs.id = taken.run_id
WHERE runs.owner = $1 AND runs.state IN ('queued', 'running')`;

// An engine is silent past the leader's rescue time, and never before three of its own heartbeats were missed
// (an engine started with a longer rescue time beats more slowly). Runs of an owner with no row (it never
// registered, or its row was removed) count as silent too.
const TAKE_OVER = `
WITH silent AS (
  SELECT id FROM engines
  WHERE id <> $1 AND heartbeat_at < now() - greatest(make_interval(secs => $2::double precision / 1000), heartbeat_every * 3)
), picked AS (
  SELECT id, owner FROM runs
  WHERE state IN ('queued', 'running') AND owner IS NOT NULL AND owner <> $1
    AND (owner IN (SELECT id FROM silent) OR NOT EXISTS (SELECT 1 FROM engines WHERE engines.id = runs.owner))
  ORDER BY created_at, id
  LIMIT ${BATCH}
  FOR UPDATE SKIP LOCKED
), taken AS (
  UPDATE runs SET owner = $1 FROM picked WHERE runs.id = picked.id RETURNING runs.id, picked.owner AS was
), told AS (
  UPDATE engines SET rescues = rescues + 1 WHERE id IN (SELECT was FROM taken)
)
SELECT id, was FROM taken`;

const NOT_OWNED = "SELECT id, owner FROM runs WHERE id = ANY($1::text[]) AND owner IS DISTINCT FROM $2";

const OWNED_UNFINISHED = `SELECT id FROM runs WHERE owner = $1 AND state IN ('queued', 'running') AND NOT (id = ANY($2::text[])) ORDER BY created_at, id LIMIT ${BATCH}`;

/** Six beats to a rescue time: one late or lost beat is far from a take-over. */
export function heartbeatEvery(rescueAfterMs: number): number {
  return Math.max(250, Math.floor(rescueAfterMs / 6));
}

export class PostgresEngineRoster implements EngineRoster {
  private timer: NodeJS.Timeout | undefined;
  private seenRescues = 0;
  private beating: Promise<void> = Promise.resolve();
  /** When a heartbeat was last recorded, by this process's monotonic clock. */
  private lastRecorded = performance.now();
  private saidLostTouch = false;
  private workers: () => string[][] = () => [];
  readonly heartbeatEveryMs: number;
  /** Unrecorded heartbeats for this long, and this engine stops what a take-over would run again (see start). */
  readonly lostTouchAfterMs: number;
  /**
   * How long any other statement here may go unanswered. Without a deadline,
   * one sent as the connection went silent would wait for good, holding the
   * pool's one connection: no heartbeat recorded again even once the network
   * is back, and the pool's end() (the engine's shutdown) waiting on it too.
   * Two beats: a new connection then records the heartbeats before this
   * engine counts as having lost touch (four beats). Each statement takes
   * milliseconds and waits on no lock for long.
   */
  private readonly answerDeadlineMs: number;

  constructor(private readonly options: RosterOptions) {
    this.heartbeatEveryMs = heartbeatEvery(options.rescueAfterMs);
    // Two beats before the leader could take over, by this engine's own clock (which the database's does not outrun by much).
    this.lostTouchAfterMs = options.rescueAfterMs - 2 * this.heartbeatEveryMs;
    this.answerDeadlineMs = 2 * this.heartbeatEveryMs;
  }

  /** A statement on the pool, given up (its connection closed) when unanswered for `deadlineMs`. */
  private ask<R extends pg.QueryResultRow>(text: string, values: unknown[], deadlineMs = this.answerDeadlineMs): Promise<pg.QueryResult<R>> {
    return this.options.pool.query<R>({ text, values, query_timeout: deadlineMs } as pg.QueryConfig);
  }

  /** Writes this engine's row; before it takes up its own runs, so that no take-over of them begins meanwhile. */
  async register(): Promise<void> {
    const { rows } = await this.ask<{ rescues: string }>(REGISTER, [this.options.engineId, hostname(), process.pid, this.heartbeatEveryMs]);
    this.seenRescues = Number(rows[0]?.rescues ?? 0);
    this.lastRecorded = performance.now();
  }

  start(takenOver: () => void, lostTouch: (silentForMs: number) => void, beaten: () => void = () => {}): void {
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat(takenOver, lostTouch, beaten));
    }, this.heartbeatEveryMs);
    this.timer.unref();
  }

  workersHere(labels: () => string[][]): void {
    this.workers = labels;
  }

  private async beat(takenOver: () => void, lostTouch: (silentForMs: number) => void, beaten: () => void): Promise<void> {
    try {
      // A beat that hangs (a connection gone silent) counts as failed once the next one is due.
      const values = [this.options.engineId, JSON.stringify(this.workers())];
      const { rows } = await this.ask<{ rescues: string }>(HEARTBEAT, values, this.heartbeatEveryMs);
      if (rows.length === 0) return this.register();
      this.lastRecorded = performance.now();
      this.saidLostTouch = false;
      beaten();
      const rescues = Number(rows[0]!.rescues);
      if (rescues === this.seenRescues) return;
      this.seenRescues = rescues;
      takenOver();
    } catch (error) {
      const silentFor = performance.now() - this.lastRecorded;
      if (silentFor >= this.lostTouchAfterMs && !this.saidLostTouch) {
        this.saidLostTouch = true;
        lostTouch(silentFor);
      }
      this.options.onProblem(
        `this engine's heartbeat could not be recorded (${(error as Error).message}); should it stay silent for ${this.options.rescueAfterMs / 1000} s, the leading engine takes its runs over`,
      );
    }
  }

  async takeOverSilent(): Promise<{ runIds: string[]; from: string[] }> {
    const { rows } = await this.ask<{ id: string; was: string }>(TAKE_OVER, [this.options.engineId, this.options.rescueAfterMs]);
    return { runIds: rows.map((row) => row.id), from: [...new Set(rows.map((row) => row.was))] };
  }

  async handOver(runId: string, needs: readonly (readonly string[])[]): Promise<string | undefined> {
    const { rows } = await this.ask<{ owner: string }>(HAND_OVER, [this.options.engineId, runId, JSON.stringify(needs)]);
    return rows[0]?.owner;
  }

  async handedOver(): Promise<{ runId: string; from: string }[]> {
    const { rows } = await this.ask<{ run_id: string; from_engine: string }>(TAKE_HANDED, [this.options.engineId]);
    return rows.map((row) => ({ runId: row.run_id, from: row.from_engine }));
  }

  async notOwned(runIds: readonly string[]): Promise<Map<string, string>> {
    if (runIds.length === 0) return new Map();
    const { rows } = await this.ask<{ id: string; owner: string | null }>(NOT_OWNED, [runIds, this.options.engineId]);
    return new Map(rows.map((row) => [row.id, row.owner ?? ""]));
  }

  async ownedUnfinished(excluding: readonly string[]): Promise<string[]> {
    const { rows } = await this.ask<{ id: string }>(OWNED_UNFINISHED, [this.options.engineId, excluding]);
    return rows.map((row) => row.id);
  }

  /**
   * The engine leaves (after its drain): its row says it is gone, so that no
   * run is handed to it any more and the leader carries on, at its next look,
   * what it left unfinished (a queued run) instead of waiting out its silence.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.ask("UPDATE engines SET heartbeat_at = '-infinity' WHERE id = $1", [this.options.engineId], this.heartbeatEveryMs).catch(() => undefined);
  }
}
