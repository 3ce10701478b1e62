/**
 * Runs removed from a store several engines share (retention through any of
 * them, or `spire gc`) are dropped from this engine's cache of run objects:
 * a finished run stays cached until pushed out, so without this an engine
 * served a run, by its id, long after another had removed it.
 *
 * The engine that removes runs forgets them at once (Retention's `removed`);
 * the others are told (a NOTIFY with the removal's commit) and then ask the
 * store which of the runs they keep are still there: one query for all of
 * them, never one per request, so a cache hit stays free of round trips.
 * A notice lost (a connection that dropped without a word is told again as
 * it comes back) is made up for by a look every POLL_MS.
 */
import type { StoreChangeHints } from "../../cluster/port.js";
import type { Store } from "../../store/port.js";
import type { RunObjectCache } from "./run-cache.js";
import { oneAtATime } from "../one-at-a-time.js";

const POLL_MS = 30_000;

export interface RemovedRunsDeps {
  cache: Pick<RunObjectCache, "keptIds" | "forget">;
  store: Pick<Store, "knownRunIds">;
  /** Told when some engine removed runs (absent: looks every pollMs only). */
  hints?: StoreChangeHints | undefined;
  failed(error: Error): void;
  pollMs?: number;
}

export class RemovedRuns {
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  /** One look at a time; one asked for meanwhile follows it (it may have been told of a later removal). */
  private readonly look = oneAtATime(
    () => this.dropRemoved(),
    // Once stopped, the store may be closing under a look still on its way: nothing to say.
    (error) => this.timer !== undefined && this.deps.failed(error),
    () => this.timer !== undefined,
  );

  constructor(private readonly deps: RemovedRunsDeps) {}

  start(): void {
    this.unlisten = this.deps.hints?.listen(() => this.look());
    this.timer = setInterval(() => this.look(), this.deps.pollMs ?? POLL_MS).unref();
  }

  stop(): void {
    this.unlisten?.();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Runs being built count too: a build that read its run before the removal
   * and is kept after this look would serve it again (forget drops the build).
   */
  private async dropRemoved(): Promise<void> {
    const kept = this.deps.cache.keptIds();
    if (kept.length === 0) return;
    const stored = new Set(await this.deps.store.knownRunIds(kept));
    for (const id of kept) if (!stored.has(id)) this.deps.cache.forget(id);
  }
}
