/**
 * Leases on `spire watch` pipelines. `spire watch -- CMD` makes an ad hoc
 * pipeline whose trigger the engine fires; Ctrl-C pauses it, but a watcher
 * killed outright (kill -9, a terminal that vanished without SIGHUP) cannot,
 * and its pipeline went on firing for ever. So such a pipeline fires only
 * while its watcher holds a lease: the watcher renews it as often as the
 * answer says (a third of the term); when a whole term passes without a
 * renewal, the engine does what Ctrl-C does — pauses the pipeline (history
 * kept; the next `spire watch` of the command resumes it) and cancels its
 * runs under way — and says why (engine log, audit, `paused_reason`).
 *
 * Only pipelines made by `spire watch` hold leases: metadata `adhoc: watch`
 * (src/cli/adhoc/job.ts writes it) and a trigger. Pipelines applied
 * otherwise are never leased, never paused by this, and a renewal of one is
 * refused. Every unpaused watch pipeline holds a lease: one that has none
 * (just applied or resumed, or at engine start) gets a whole term, so a
 * watcher killed before its first renewal, or while the engine was down, is
 * caught too. Leases live in memory only; a restarted engine grants new terms.
 *
 * A renewal of a pipeline this paused for a lapse resumes it: its watcher was
 * stopped (Ctrl-Z), not gone, and is back (fg). One paused by anyone else
 * stays paused.
 *
 * Two `spire watch` of one command would share its pipeline, and the Ctrl-C
 * of either would pause the other's. So a watcher renews with an id of its
 * own (its holder): the first to renew a term holds it, and while it renews,
 * another holder's renewal is refused, naming when the lease runs out. A
 * renewal without a holder (an older client) neither takes a held lease nor
 * is refused.
 */
import { performance } from "node:perf_hooks";
import type { PipelineDef } from "../../definitions/schema.js";
import type { Store } from "../../store/port.js";
import { notFoundPipeline, ServiceError, type WatchLease } from "../service.js";

/** Long enough that a busy machine never misses three renewals in a row; short enough that a dead watcher stops firing soon. */
export const DEFAULT_WATCH_LEASE_MS = 30_000;
/** Renewals per term: two may be late or lost before the lease lapses. */
const RENEWALS_PER_TERM = 3;

export interface WatchLeaseDeps {
  store: Pick<Store, "getPipeline" | "listPipelines">;
  leaseMs: number;
  /** Pauses the pipeline and cancels its runs under way, recording `reason`. */
  lapse(namespace: string, name: string, reason: string): Promise<void>;
  /** Resumes a pipeline paused by lapse() whose watcher renews again. */
  resume(namespace: string, name: string): Promise<void>;
  warn(message: string, details: object): void;
}

interface Term {
  namespace: string;
  name: string;
  /** performance.now(): monotonic, so a clock step neither ends nor stretches a term. */
  expiresAt: number;
  timer: NodeJS.Timeout;
  /** The watcher that renews it; undefined until one renews with its id. */
  holder?: string;
}

/** A pipeline `spire watch` made: only these hold leases. */
export function isWatchPipeline(definition: unknown): boolean {
  const def = definition as PipelineDef;
  return def.metadata?.adhoc === "watch" && def.triggers.length > 0;
}

export class WatchLeases {
  private readonly terms = new Map<string, Term>();
  /** Pipelines paused because their lease lapsed, with why; until resumed, or paused or resumed by someone. */
  private readonly lapsed = new Map<string, string>();
  private started = false;
  private stopped = false;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: WatchLeaseDeps) {}

  start(): Promise<void> {
    this.started = true;
    return this.refresh();
  }

  /** After apply, delete, pause and resume: unpaused watch pipelines without a lease get one; others hold none. */
  refresh(): Promise<void> {
    if (!this.started || this.stopped) return Promise.resolve();
    this.refreshing = this.refreshing.catch(() => {}).then(async () => {
      if (this.stopped) return;
      const rows = await this.deps.store.listPipelines();
      const leased = new Set<string>();
      const known = new Set<string>();
      for (const row of rows) {
        const key = keyOf(row.namespace, row.name);
        known.add(key);
        if (!isWatchPipeline(row.definition)) this.lapsed.delete(key);
        else if (!row.paused) {
          leased.add(key);
          this.lapsed.delete(key);
          if (!this.terms.has(key)) this.grant(key, row.namespace, row.name);
        }
      }
      for (const [key, term] of this.terms) if (!leased.has(key)) this.end(key, term);
      for (const key of this.lapsed.keys()) if (!known.has(key)) this.lapsed.delete(key);
    });
    return this.refreshing;
  }

  /** The watcher's renewal (POST /pipelines/{ns}/{name}/lease); `holder`: the watcher's id. */
  async renew(namespace: string, name: string, holder?: string): Promise<WatchLease> {
    const key = keyOf(namespace, name);
    const row = await this.deps.store.getPipeline(namespace, name);
    if (!row) throw notFoundPipeline(namespace, name);
    if (!isWatchPipeline(row.definition)) {
      throw new ServiceError("conflict", `${namespace}/${name} was not made by spire watch: only those hold a lease`, { hint: `to stop its triggers: spire pause ${namespace}/${name}` });
    }
    if (!this.started || this.stopped) throw new ServiceError("unavailable", "the engine is not firing triggers now (starting or shutting down): renew again shortly");
    this.refuseAnotherHolder(key, namespace, name, holder);
    let resumed = false;
    if (row.paused) {
      if (!this.lapsed.has(key)) return this.answer(namespace, name, null, false);
      this.lapsed.delete(key);
      await this.deps.resume(namespace, name);
      resumed = true;
    }
    // Read again: the resume above awaited, and another holder may have renewed meanwhile.
    this.refuseAnotherHolder(key, namespace, name, holder);
    const term = this.terms.get(key) ?? this.grant(key, namespace, name);
    term.expiresAt = performance.now() + this.deps.leaseMs;
    if (holder !== undefined) term.holder = holder;
    return this.answer(namespace, name, Date.now() + this.deps.leaseMs, resumed);
  }

  /** A term another watcher holds and renews: this one's renewal is refused, with when that term runs out. */
  private refuseAnotherHolder(key: string, namespace: string, name: string, holder: string | undefined): void {
    const term = this.terms.get(key);
    if (holder === undefined || term?.holder === undefined || term.holder === holder) return;
    const leftMs = term.expiresAt - performance.now();
    if (leftMs <= 0) return; // lapsed, its timer not yet run: the newcomer takes it
    const expiresAt = new Date(Date.now() + leftMs).toISOString();
    throw new ServiceError("conflict", `${namespace}/${name} is watched by another spire watch already (its lease runs to ${expiresAt} unless renewed)`, {
      held: true,
      expires_at: expiresAt,
      hint: `stop the other watch (Ctrl-C where it runs), or give this one a pipeline of its own with spire watch --ns NAME; its runs: spire runs ${name}`,
    });
  }

  /** Why the engine paused this pipeline, while it stays paused for that reason. */
  pausedWhy(namespace: string, name: string): string | undefined {
    return this.lapsed.get(keyOf(namespace, name));
  }

  /** Someone paused or resumed it: a later renewal must not undo that. */
  forget(namespace: string, name: string): void {
    this.lapsed.delete(keyOf(namespace, name));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.refreshing.catch(() => {});
    for (const [key, term] of this.terms) this.end(key, term);
  }

  private grant(key: string, namespace: string, name: string): Term {
    const timer = setTimeout(() => this.check(key), this.deps.leaseMs);
    const term: Term = { namespace, name, expiresAt: performance.now() + this.deps.leaseMs, timer };
    this.terms.set(key, term);
    return term;
  }

  private end(key: string, term: Term): void {
    clearTimeout(term.timer);
    this.terms.delete(key);
  }

  /** A renewal moves the expiry, not the timer (no timer churn per renewal): the timer looks again when it fires. */
  private check(key: string): void {
    const term = this.terms.get(key);
    if (!term) return;
    const left = term.expiresAt - performance.now();
    if (left > 0) {
      term.timer = setTimeout(() => this.check(key), left);
      return;
    }
    this.terms.delete(key);
    void this.expire(key, term).catch((error: Error) => this.deps.warn("a spire watch pipeline's lease lapsed, but it could not be paused", { pipeline: key, reason: error.message }));
  }

  private async expire(key: string, term: Term): Promise<void> {
    const row = await this.deps.store.getPipeline(term.namespace, term.name);
    // Renewed while the row was read (a new term), paused or changed meanwhile, or the engine stopping: nothing to do.
    if (this.stopped || this.terms.has(key) || !row || row.paused || !isWatchPipeline(row.definition)) return;
    const reason = `its spire watch is gone: no lease renewal for ${this.deps.leaseMs / 1000}s`;
    this.lapsed.set(key, reason);
    await this.deps.lapse(term.namespace, term.name, reason);
  }

  private answer(namespace: string, name: string, expiresAt: number | null, resumed: boolean): WatchLease {
    return {
      namespace,
      name,
      paused: expiresAt === null,
      expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      lease_ms: this.deps.leaseMs,
      renew_every_ms: Math.floor(this.deps.leaseMs / RENEWALS_PER_TERM),
      resumed,
    };
  }
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
