/**
 * The last 20 runs of every pipeline on the page, with as few requests as
 * the API allows. GET /runs has no "N per pipeline": one request for the
 * newest 1,000 runs of the engine fills most rows at once; a pipeline with
 * fewer than 20 there (a quiet one, crowded out by busy ones) gets its own
 * GET /runs?pipeline= request, only when its row comes into view, a few at
 * a time. Live events patch states in place; runs the page has not seen are
 * fetched in one request per batch.
 */
import { signal, type Signal } from "@preact/signals";
import { listRuns } from "../../api/runs";
import type { PipelineSummary, RunState, RunSummary } from "../../api/types";
import type { RunEvent } from "../../live/types";

export const RECENT_RUNS = 20;
/** The most GET /runs gives in one page. */
const NEWEST_PAGE = 1000;
/** Rows coming into view at once fetch this many at a time. */
const PARALLEL_FETCHES = 5;

export const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

const newestFirst = (a: RunSummary, b: RunSummary) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? 1 : -1);

export class RecentRuns {
  /** Per pipeline, newest first; undefined until something is known. A signal each, so one row's change re-renders that row only. */
  private readonly lists = new Map<string, Signal<RunSummary[] | undefined>>();
  /** Pipelines whose list holds their newest 20 runs (or all they have). */
  private readonly complete = new Set<string>();
  private readonly keyOfRun = new Map<string, string>();
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private fetching = 0;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private disposed = false;

  /** Called with any error of a background fetch (the page shows it). */
  constructor(private readonly onError: (error: unknown) => void) {}

  dispose(): void {
    this.disposed = true;
  }

  listOf(key: string): Signal<RunSummary[] | undefined> {
    let list = this.lists.get(key);
    if (!list) {
      list = signal<RunSummary[] | undefined>(undefined);
      this.lists.set(key, list);
    }
    return list;
  }

  /** The freshest known state of a pipeline's last run. */
  lastState(pipeline: PipelineSummary): RunState | undefined {
    const newest = this.listOf(keyOf(pipeline.namespace, pipeline.name)).value?.[0];
    return newest?.state ?? pipeline.last_run?.state;
  }

  /** Pipelines that never ran need no request. */
  notePipelines(pipelines: PipelineSummary[]): void {
    for (const pipeline of pipelines) {
      const key = keyOf(pipeline.namespace, pipeline.name);
      if (pipeline.last_run === null && this.listOf(key).peek() === undefined) {
        this.listOf(key).value = [];
        this.complete.add(key);
      }
    }
  }

  /** One request: the engine's newest runs, spread over their pipelines. `fresh` forgets what was complete (after a resync). */
  async loadNewest(fresh = false): Promise<void> {
    const page = await listRuns({ limit: NEWEST_PAGE });
    if (this.disposed) return;
    const everything = page.next_cursor === null;
    const grouped = new Map<string, RunSummary[]>();
    for (const run of page.runs) {
      const key = keyOf(run.namespace, run.pipeline);
      const list = grouped.get(key) ?? [];
      if (list.length < RECENT_RUNS) list.push(run);
      grouped.set(key, list);
    }
    if (fresh) this.complete.clear();
    for (const [key, runs] of grouped) {
      this.setList(key, runs);
      if (runs.length >= RECENT_RUNS || everything) this.complete.add(key);
    }
    if (everything) {
      // The page holds every run there is: a pipeline absent from it has none.
      for (const [key, list] of this.lists) {
        if (!grouped.has(key)) {
          list.value = [];
          this.complete.add(key);
        }
      }
    }
  }

  /** A row came into view: fetch its pipeline's own 20 if the shared page did not have them. */
  want(key: string): void {
    if (this.complete.has(key) || this.queued.has(key)) return;
    this.queued.add(key);
    this.waiting.push(key);
    this.pump();
  }

  private pump(): void {
    while (!this.disposed && this.fetching < PARALLEL_FETCHES && this.waiting.length > 0) {
      const key = this.waiting.shift()!;
      const slash = key.indexOf("/");
      this.fetching++;
      listRuns({ namespace: key.slice(0, slash), pipeline: key.slice(slash + 1), limit: RECENT_RUNS })
        .then((page) => {
          if (this.disposed) return;
          this.mergeInto(key, page.runs);
          this.complete.add(key);
        }, this.onError)
        .finally(() => {
          this.fetching--;
          this.queued.delete(key);
          this.pump();
        });
    }
  }

  /** Applies a batch of run events; runs not seen yet are fetched (one request for the batch). */
  applyEvents(events: RunEvent[]): string[] {
    const finished: string[] = [];
    let unknown = 0;
    for (const event of events) {
      if (!event.type.startsWith("run.")) continue;
      const key = this.keyOfRun.get(event.run_id) ?? (event.namespace && event.pipeline ? keyOf(event.namespace, event.pipeline) : undefined);
      const list = key ? this.lists.get(key)?.peek() : undefined;
      const run = list?.find((entry) => entry.id === event.run_id);
      if (!key || !list || !run) {
        unknown++;
        continue;
      }
      const at = new Date(event.ts).toISOString();
      if (event.type === "run.started") this.patch(key, run.id, { state: "running", started_at: run.started_at ?? at });
      else if (event.type === "run.finished") {
        const state = (event.data?.["state"] as RunState | undefined) ?? run.state;
        this.patch(key, run.id, { state, finished_at: at, reason: (event.data?.["reason"] as string | null | undefined) ?? run.reason });
        finished.push(run.id);
      } else if (event.type !== "run.created") unknown++; // retried, resumed…: its summary is asked for again
    }
    if (unknown > 0) this.refresh(Math.min(NEWEST_PAGE, unknown + 20));
    return finished;
  }

  /** The newest `limit` runs of the engine, merged into the lists (at most one request at a time). */
  private refresh(limit: number): void {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = listRuns({ limit })
      .then((page) => {
        if (this.disposed) return;
        const grouped = new Map<string, RunSummary[]>();
        for (const run of page.runs) {
          const key = keyOf(run.namespace, run.pipeline);
          grouped.set(key, [...(grouped.get(key) ?? []), run]);
        }
        for (const [key, runs] of grouped) this.mergeInto(key, runs);
      }, this.onError)
      .finally(() => {
        this.refreshing = undefined;
        if (this.refreshAgain && !this.disposed) {
          this.refreshAgain = false;
          this.refresh(limit);
        }
      });
  }

  private setList(key: string, runs: RunSummary[]): void {
    for (const run of runs) this.keyOfRun.set(run.id, key);
    this.listOf(key).value = runs;
  }

  private mergeInto(key: string, runs: RunSummary[]): void {
    const byId = new Map((this.listOf(key).peek() ?? []).map((run) => [run.id, run]));
    for (const run of runs) byId.set(run.id, run);
    this.setList(key, [...byId.values()].sort(newestFirst).slice(0, RECENT_RUNS));
  }

  private patch(key: string, id: string, changes: Partial<RunSummary>): void {
    const list = this.listOf(key);
    list.value = (list.peek() ?? []).map((run) => (run.id === id ? { ...run, ...changes } : run));
  }
}
