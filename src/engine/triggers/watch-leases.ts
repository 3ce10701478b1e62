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
 * (just applied or resumed) gets a whole term, so a watcher killed before
 * its first renewal is caught too.
 *
 * The store keeps the terms (Store.grantWatchLease and the rest), by its own
 * clock: every engine sharing it sees the renewals a watcher sends to any
 * one of them, and each looks when a term should run out; the first to find
 * it run out ends it and pauses the pipeline, once. An engine starting
 * gives every term at least a whole one from then (a watcher could not
 * renew while no engine was up), and knows each term's holder as before.
 *
 * A renewal of a pipeline this paused for a lapse (its row says who paused
 * it) resumes it: its watcher was stopped (Ctrl-Z), not gone, and is back
 * (fg). One paused by anyone else stays paused.
 *
 * Two `spire watch` of one command would share its pipeline, and the Ctrl-C
 * of either would pause the other's. So a watcher renews with an id of its
 * own (its holder): the first to renew a term holds it, and while it renews,
 * another holder's renewal is refused, naming when the lease runs out. A
 * renewal without a holder (an older client) neither takes a held lease nor
 * is refused.
 */
import type { PipelineDef } from "../../definitions/schema.js";
import type { Store } from "../../store/port.js";
import { notFoundPipeline, ServiceError, type WatchLease } from "../service.js";

/** Long enough that a busy machine never misses three renewals in a row; short enough that a dead watcher stops firing soon. */
export const DEFAULT_WATCH_LEASE_MS = 30_000;
/** Renewals per term: two may be late or lost before the lease lapses. */
const RENEWALS_PER_TERM = 3;

export interface WatchLeaseDeps {
  store: Pick<Store, "getPipeline" | "listPipelines" | "grantWatchLease" | "renewWatchLease" | "watchLease" | "endWatchLease">;
  leaseMs: number;
  /** Who lapse() pauses as: a pipeline paused by that name was paused for its lapse. */
  lapsedBy: string;
  /** Pauses the pipeline and cancels its runs under way, recording `reason`. */
  lapse(namespace: string, name: string, reason: string): Promise<void>;
  /** Resumes a pipeline paused by lapse() whose watcher renews again. */
  resume(namespace: string, name: string): Promise<void>;
  warn(message: string, details: object): void;
}

/** A leased pipeline this engine looks at when its term should end. */
interface Watched {
  namespace: string;
  name: string;
  timer: NodeJS.Timeout;
}

/** A pipeline `spire watch` made: only these hold leases. */
export function isWatchPipeline(definition: unknown): boolean {
  const def = definition as PipelineDef;
  return def.metadata?.adhoc === "watch" && def.triggers.length > 0;
}

export class WatchLeases {
  private readonly watched = new Map<string, Watched>();
  private started = false;
  private stopped = false;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: WatchLeaseDeps) {}

  start(): Promise<void> {
    this.started = true;
    return this.refresh(true);
  }

  /**
   * After apply, delete, pause and resume (on any engine): unpaused watch
   * pipelines without a term get one; others hold none. `atStart`: each
   * term lasts a whole one from now at least.
   */
  refresh(atStart = false): Promise<void> {
    if (!this.started || this.stopped) return Promise.resolve();
    this.refreshing = this.refreshing.catch(() => {}).then(async () => {
      if (this.stopped) return;
      const rows = await this.deps.store.listPipelines();
      const leased = new Set<string>();
      for (const row of rows) {
        if (!isWatchPipeline(row.definition) || row.paused) continue;
        const key = keyOf(row.namespace, row.name);
        leased.add(key);
        if (this.watched.has(key) && !atStart) continue;
        await this.deps.store.grantWatchLease(row.namespace, row.name, this.deps.leaseMs, atStart);
        this.look(key, row.namespace, row.name, this.deps.leaseMs);
      }
      // Paused, removed or no longer a watch's: its term ends with it (a watcher of it later starts afresh).
      for (const [key, watched] of this.watched) {
        if (leased.has(key)) continue;
        this.unwatch(key);
        await this.deps.store.endWatchLease(watched.namespace, watched.name, false);
      }
    });
    return this.refreshing;
  }

  /** The watcher's renewal (POST /pipelines/{ns}/{name}/lease); `holder`: the watcher's id. */
  async renew(namespace: string, name: string, holder?: string): Promise<WatchLease> {
    const row = await this.deps.store.getPipeline(namespace, name);
    if (!row) throw notFoundPipeline(namespace, name);
    if (!isWatchPipeline(row.definition)) {
      throw new ServiceError("conflict", `${namespace}/${name} was not made by spire watch: only those hold a lease`, { hint: `to stop its triggers: spire pause ${namespace}/${name}` });
    }
    if (!this.started || this.stopped) throw new ServiceError("unavailable", "the engine is not firing triggers now (starting or shutting down): renew again shortly");
    let resumed = false;
    if (row.paused) {
      // Paused by a person (Ctrl-C of its watcher is one): that stands.
      if (row.paused_by !== this.deps.lapsedBy) return this.answer(namespace, name, null, false);
      await this.deps.resume(namespace, name);
      resumed = true;
    }
    const renewal = await this.deps.store.renewWatchLease(namespace, name, holder ?? null, this.deps.leaseMs);
    if (!renewal.renewed) {
      const expiresAt = new Date(Date.now() + Math.max(0, renewal.term.leftMs)).toISOString();
      throw new ServiceError("conflict", `${namespace}/${name} is watched by another spire watch already (its lease runs to ${expiresAt} unless renewed)`, {
        held: true,
        expires_at: expiresAt,
        hint: `stop the other watch (Ctrl-C where it runs), or give this one a pipeline of its own with spire watch --ns NAME; its runs: spire runs ${name}`,
      });
    }
    const key = keyOf(namespace, name);
    if (!this.watched.has(key)) this.look(key, namespace, name, this.deps.leaseMs);
    return this.answer(namespace, name, Date.now() + this.deps.leaseMs, resumed);
  }

  /** Someone paused or resumed it: the term ends, so a later renewal does not undo that, and the next watcher starts afresh. */
  async forget(namespace: string, name: string): Promise<void> {
    await this.deps.store.endWatchLease(namespace, name, false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.refreshing.catch(() => {});
    for (const key of [...this.watched.keys()]) this.unwatch(key);
  }

  /** Looks at the term in `inMs` (when it should run out); a renewal moves the term, not this look (no timer churn per renewal). */
  private look(key: string, namespace: string, name: string, inMs: number): void {
    clearTimeout(this.watched.get(key)?.timer);
    const timer = setTimeout(() => void this.check(key, namespace, name).catch((error: Error) => this.failedLook(key, namespace, name, error)), Math.max(1, inMs));
    this.watched.set(key, { namespace, name, timer });
  }

  private unwatch(key: string): void {
    clearTimeout(this.watched.get(key)?.timer);
    this.watched.delete(key);
  }

  private async check(key: string, namespace: string, name: string): Promise<void> {
    if (this.stopped) return;
    const term = await this.deps.store.watchLease(namespace, name);
    if (term && term.leftMs > 0) return this.look(key, namespace, name, term.leftMs);
    // Run out: the first engine to end it pauses the pipeline. Gone: ended with a pause (here or on another engine).
    const ended = term !== undefined && (await this.deps.store.endWatchLease(namespace, name, true));
    this.unwatch(key);
    if (!ended) return void (await this.refresh());
    const row = await this.deps.store.getPipeline(namespace, name);
    // Paused or changed meanwhile, or the engine stopping: nothing to do.
    if (this.stopped || !row || row.paused || !isWatchPipeline(row.definition)) return;
    await this.deps.lapse(namespace, name, `its spire watch is gone: no lease renewal for ${this.deps.leaseMs / 1000}s`);
  }

  /** The store could not be asked (or the pause failed): looked at again a term later. */
  private failedLook(key: string, namespace: string, name: string, error: Error): void {
    this.deps.warn("a spire watch pipeline's lease could not be looked at, or its lapse not acted on", { pipeline: key, reason: error.message });
    if (!this.stopped) this.look(key, namespace, name, this.deps.leaseMs);
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
