/**
 * The runs the runs page shows, newest first: pages of GET /runs with the
 * filters the engine takes, the others applied here. When the browser has
 * to filter, a "Load more" reads on until it has a page's worth of matches,
 * but never more than SCAN_STEP runs at a time, and says how many it
 * looked through. Live events add new runs on top and change states in
 * place; a run whose state changes stays where it is, even if it no longer
 * matches the state filter (rows do not vanish under the reader).
 */
import { signal } from "@preact/signals";
import { get } from "../../api/client";
import type { Run, RunPage, RunState, RunSummary } from "../../api/types";
import type { RunEvent } from "../../live/types";
import { queryParameters } from "./capabilities";
import { boundsOf, clientMatcher, splitPipeline, type RunFilters, type TimeBounds } from "./filters";
import { Pool } from "./pool";
import { ScannedPages } from "./scan";

/** Matches wanted per "Load more". */
export const PAGE_SIZE = 50;

/** The filters a newer engine's GET /runs takes (created_before: before that instant, not at it). */
const PARAMS = { trigger: "trigger", after: "created_after", before: "created_before" };

const newestFirst = (a: RunSummary, b: RunSummary) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? 1 : -1);

export class RunList {
  readonly runs = signal<RunSummary[]>([]);
  private readonly pages: ScannedPages<RunSummary, string>;
  readonly status: ScannedPages<RunSummary, string>["status"];
  private serverQuery: Record<string, string | number> = {};
  private matches: (run: RunSummary) => boolean = () => true;
  private bounds: TimeBounds = {};
  private ready: Promise<void>;
  private disposed = false;
  private topTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly refetch = new Pool(4);

  constructor(
    private readonly filters: RunFilters,
    utc: boolean,
  ) {
    this.bounds = boundsOf(filters, utc);
    this.ready = this.plan();
    this.pages = new ScannedPages(this.ready, () => ({
      fetch: async (limit, cursor) => {
        const page = await this.fetchPage(limit, cursor);
        return { items: page.runs, next: page.next_cursor };
      },
      matches: this.matches,
      filtering: this.status.peek().filtering,
      pageSize: PAGE_SIZE,
      time: (run) => Date.parse(run.created_at),
      after: this.bounds.after,
      onMatches: (runs) => this.add(runs),
    }));
    this.status = this.pages.status;
  }

  dispose(): void {
    this.disposed = true;
    this.pages.dispose();
    this.refetch.clear();
    clearTimeout(this.topTimer);
  }

  /** Which filters go to the engine (those its API takes), which stay here. */
  private async plan(): Promise<void> {
    const accepted = await queryParameters("GET", "/runs");
    const { namespace, name } = splitPipeline(this.filters.pipeline);
    const query: Record<string, string | number> = {};
    if (namespace) query["namespace"] = namespace;
    if (name) query["pipeline"] = name;
    if (this.filters.state) query["status"] = this.filters.state;
    const triggerOnServer = accepted.has(PARAMS.trigger);
    if (this.filters.trigger && triggerOnServer) query[PARAMS.trigger] = this.filters.trigger;
    const datesOnServer = accepted.has(PARAMS.after) && accepted.has(PARAMS.before);
    if (datesOnServer) {
      if (this.bounds.after !== undefined) query[PARAMS.after] = new Date(this.bounds.after).toISOString();
      if (this.bounds.before !== undefined) query[PARAMS.before] = new Date(this.bounds.before).toISOString();
    }
    this.serverQuery = query;
    const done = { state: true, trigger: !this.filters.trigger || triggerOnServer, dates: datesOnServer || (!this.filters.from && !this.filters.to) };
    this.matches = clientMatcher(this.filters, this.bounds, done);
    this.pages.setFiltering(!done.trigger || !done.dates);
  }

  private fetchPage(limit: number, cursor: string | null): Promise<RunPage> {
    return get<RunPage>("/runs", { query: { ...this.serverQuery, limit, cursor: cursor ?? undefined } });
  }

  /** The next page's worth of matching runs (the first page on the first call). */
  loadMore(): Promise<void> {
    return this.pages.loadMore();
  }

  /** Starts again from the newest (after a resync). */
  reload(): void {
    this.pages.restart();
    this.runs.value = [];
    void this.pages.loadMore();
  }

  private add(runs: RunSummary[]): void {
    if (runs.length === 0) return;
    const byId = new Map(this.runs.peek().map((run) => [run.id, run]));
    for (const run of runs) byId.set(run.id, run);
    this.runs.value = [...byId.values()].sort(newestFirst);
  }

  private patch(id: string, changes: Partial<RunSummary>): void {
    this.runs.value = this.runs.peek().map((run) => (run.id === id ? { ...run, ...changes } : run));
  }

  /**
   * A batch of live events: states patched in place, other changes asked
   * for again, new runs fetched from the top. Returns the runs that
   * finished, and how many new runs appeared (for the page to announce).
   */
  applyEvents(events: RunEvent[], onNew: (count: number) => void): { id: string; state: RunState }[] {
    const finished: { id: string; state: RunState }[] = [];
    const shown = new Set(this.runs.peek().map((run) => run.id));
    const again = new Set<string>();
    let created = false;
    for (const event of events) {
      if (!event.type.startsWith("run.")) continue;
      if (event.type === "run.created") {
        // The event names its pipeline: a run of another pipeline than the one filtered for is not asked for.
        const { namespace, name } = splitPipeline(this.filters.pipeline);
        const other = event.pipeline !== undefined && ((name !== undefined && event.pipeline !== name) || (namespace !== undefined && event.namespace !== namespace));
        created ||= !shown.has(event.run_id) && !other;
        continue;
      }
      if (!shown.has(event.run_id)) continue;
      const at = new Date(event.ts).toISOString();
      if (event.type === "run.started") this.patch(event.run_id, { state: "running", started_at: at });
      else if (event.type === "run.finished" && typeof event.data?.["state"] === "string") {
        const state = event.data["state"] as RunState;
        const run = this.runs.peek().find((entry) => entry.id === event.run_id);
        const startedAt = run?.started_at ? Date.parse(run.started_at) : null;
        this.patch(event.run_id, {
          state,
          finished_at: at,
          duration_ms: startedAt === null ? null : event.ts - startedAt,
          reason: (event.data["reason"] as string | null | undefined) ?? run?.reason ?? null,
        });
        finished.push({ id: event.run_id, state });
        // The engine's own figures (duration, reason, warnings and errors) replace the guess.
        again.add(event.run_id);
      } else again.add(event.run_id);
    }
    for (const id of again) {
      // Its summary alone (GET /runs by its whole id), not the run with its tasks.
      this.refetch.run(() => get<RunPage>("/runs", { query: { id_prefix: id, limit: 1 } })).then(
        (page) => {
          const run = page.runs.find((entry) => entry.id === id);
          if (this.disposed || !run) return;
          this.patch(id, run);
        },
        () => {
          // The next event or a reload corrects it; a row is not worth an error banner.
        },
      );
    }
    if (created) this.newRunsSoon(onNew);
    return finished;
  }

  /** New runs: the newest page, merged on top; at most one request per half second. */
  private newRunsSoon(onNew: (count: number) => void): void {
    if (this.topTimer !== undefined) return;
    this.topTimer = setTimeout(async () => {
      this.topTimer = undefined;
      if (this.disposed) return;
      try {
        await this.ready;
        const page = await this.fetchPage(PAGE_SIZE, null);
        if (this.disposed) return;
        const shown = this.runs.peek();
        const newest = shown[0];
        const known = new Set(shown.map((run) => run.id));
        const fresh = page.runs.filter((run) => !known.has(run.id) && this.matches(run) && (!newest || newestFirst(run, newest) <= 0));
        if (fresh.length > 0) {
          this.add(fresh);
          onNew(fresh.length);
        }
      } catch {
        // Missed now, shown at the next event or reload.
      }
    }, 500);
  }
}

export function summaryOf(run: Run): RunSummary {
  return {
    id: run.id,
    namespace: run.namespace,
    pipeline: run.pipeline,
    state: run.state,
    reason: run.reason,
    trigger: run.trigger,
    created_at: run.created_at,
    started_at: run.started_at,
    finished_at: run.finished_at,
    duration_ms: run.duration_ms,
    warnings: run.warnings,
    errors: run.errors,
  };
}
