/**
 * One engine leads the scheduling among several on one PostgreSQL: the one
 * that holds the lease row. The design closes the ways the systems before
 * it ran cron twice (a stale leader that kept renewing, a pause longer than
 * the lease, clocks that disagree):
 *
 * - The row (table spire_leader, made by the PostgreSQL store's migrations)
 *   has its expiry written with the database's clock (`now()`), never
 *   an engine's, so engines whose clocks disagree still agree on it.
 * - Each acquisition starts a new term (a number that only grows): renewal
 *   is `WHERE holder = me AND term = mine AND expires_at > now()`, so an
 *   engine can only extend the term it won, and only while it still holds.
 * - The holder stops leading on any error, and once its own monotonic
 *   clock says the lease may have lapsed (measured from before the query
 *   that took or renewed it: the database's `now()` is later, so the lease
 *   lasts at least that long). A paused process (SIGSTOP, a long GC)
 *   wakes up past its deadline and steps down before doing anything.
 * - An engine that gave up on an error may take its own lease back at once
 *   (in a new term): its id is its process's alone.
 * - On a clean stop the row is marked lapsed and a NOTIFY tells the others, so
 *   one of them takes over at once rather than when the lease runs out.
 *
 * Leadership decides who looks for due slots, not whether a slot runs:
 * the store claims each slot once whatever the engines believe
 * (Store.claimSlots), so two engines that both think they lead waste a
 * query, never start a run twice.
 */
import type { Pool } from "pg";
import type { Listener } from "./pg-listener.js";
import type { SchedulingLeadership } from "./port.js";

export const LEADER_CHANNEL = "spire_leader";
/** How long a lease lasts without renewal unless told otherwise. */
export const DEFAULT_LEASE_MS = 10_000;

export interface LeaderLeaseOptions {
  pool: Pool;
  /** What is led (one row per name): "scheduler". */
  name: string;
  /** This engine process's id: unique per process, so a restarted engine is a new holder. */
  holder: string;
  /** How long a lease lasts without renewal (default 10 s). */
  ttlMs?: number;
  /** How often a follower tries to take a free or lapsed lease (default 1 s). */
  tryEveryMs?: number;
  /** Hears the others' release (NOTIFY): a follower tries at once. */
  listener?: Listener;
  /** Told each change: leading with a term, or not leading. */
  onChange(leading: Leadership | undefined): void;
  /** Told why leadership was given up (an error, a lapse). */
  onProblem?(message: string): void;
  /** Monotonic ms (tests need not fake it: the database's clock is the one that counts). */
  now?: () => number;
}

export interface Leadership {
  term: number;
  /** By this engine's monotonic clock, when the lease may have lapsed (minus a margin). */
  validUntil: number;
}

export class LeaderLease {
  private readonly ttlMs: number;
  private readonly tryEveryMs: number;
  private readonly now: () => number;
  private current: Leadership | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lapse: NodeJS.Timeout | undefined;
  private stopped = true;
  private busy: Promise<void> = Promise.resolve();
  private unlisten: (() => void) | undefined;

  constructor(private readonly options: LeaderLeaseOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_MS;
    this.tryEveryMs = options.tryEveryMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  /** The term this engine leads in, if it leads now (checked against its own clock too). */
  get leading(): Leadership | undefined {
    if (this.current && this.now() >= this.current.validUntil) this.stepDown(`the lease lapsed by this engine's clock before it was renewed`);
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unlisten = this.options.listener?.on(LEADER_CHANNEL, (payload) => {
      if (payload === this.options.name && !this.current) this.schedule(0);
    });
    this.schedule(0);
  }

  /**
   * Stops trying; a held lease is released (lapsed, and the others told) so
   * another engine leads at once. `release: false` lets it lapse by itself,
   * as a killed process would (tests).
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    clearTimeout(this.timer);
    await this.busy;
    const held = this.current;
    if (options.release === false) {
      clearTimeout(this.lapse);
      this.current = undefined;
      return;
    }
    this.setLeading(undefined);
    if (!held) return;
    await this.options.pool
      // Lapsed rather than deleted: the next holder's term must still be greater than this one.
      .query("UPDATE spire_leader SET expires_at = now() WHERE name = $1 AND holder = $2 AND term = $3", [this.options.name, this.options.holder, held.term])
      .then(() => this.options.pool.query("SELECT pg_notify($1, $2)", [LEADER_CHANNEL, this.options.name]))
      .catch(() => undefined); // It lapses by itself within ttl.
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.busy = this.step().finally(() => this.schedule(this.current ? Math.floor(this.ttlMs / 3) : this.tryEveryMs));
    }, delay);
  }

  private async step(): Promise<void> {
    const before = this.now();
    const held = this.current;
    try {
      const result = held
        ? await this.options.pool.query<{ term: number }>(
            `UPDATE spire_leader SET expires_at = now() + $4 * interval '1 millisecond'
              WHERE name = $1 AND holder = $2 AND term = $3 AND expires_at > now() RETURNING term`,
            [this.options.name, this.options.holder, held.term, this.ttlMs],
          )
        : await this.options.pool.query<{ term: number }>(
            `INSERT INTO spire_leader AS l (name, holder, term, expires_at) VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
             ON CONFLICT (name) DO UPDATE SET holder = $2, term = l.term + 1, expires_at = now() + $3 * interval '1 millisecond'
              WHERE l.expires_at <= now() OR l.holder = $2
             RETURNING term`,
            [this.options.name, this.options.holder, this.ttlMs],
          );
      if (this.stopped) return;
      const row = result.rows[0];
      if (!row) {
        if (held) this.stepDown("another engine holds the lease now");
        return;
      }
      // A margin for the clocks' rates and the time to act on it: a third of the lease.
      const leadership = { term: Number(row.term), validUntil: before + this.ttlMs - Math.ceil(this.ttlMs / 3) };
      if (this.now() >= leadership.validUntil) return void (held && this.stepDown("the renewal came back too late to trust"));
      this.setLeading(leadership);
    } catch (error) {
      if (held) this.stepDown(`the lease could not be renewed: ${(error as Error).message}`);
    }
  }

  private stepDown(why: string): void {
    if (!this.current) return;
    this.options.onProblem?.(`stopped leading (term ${this.current.term}): ${why}`);
    this.setLeading(undefined);
  }

  private setLeading(leadership: Leadership | undefined): void {
    const was = this.current;
    this.current = leadership;
    clearTimeout(this.lapse);
    // Said the moment the lease may lapse, not at the next look: a paused engine wakes past it and steps down first.
    if (leadership) this.lapse = setTimeout(() => void this.leading, Math.max(0, leadership.validUntil - this.now()));
    if ((was === undefined) !== (leadership === undefined) || (was && leadership && was.term !== leadership.term)) this.options.onChange(leadership);
  }
}

/** The scheduling lease as the engine's port. */
export function schedulingLeadership(options: Omit<LeaderLeaseOptions, "name" | "onChange">): SchedulingLeadership {
  let lease: LeaderLease | undefined;
  return {
    start(changed) {
      lease = new LeaderLease({ ...options, name: "scheduler", onChange: (leading) => changed(leading !== undefined) });
      lease.start();
    },
    get leading() {
      return lease?.leading !== undefined;
    },
    stop: async () => lease?.stop(),
  };
}
