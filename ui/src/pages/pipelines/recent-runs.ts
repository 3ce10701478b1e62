/**
 * The last 20 runs of every pipeline on the page. They come with the list
 * itself (GET /pipelines?recent=20: one request, one read of the store);
 * live events then change them in place without asking the engine again: a
 * run.created names its pipeline, and a run's later events are matched to
 * it by id. A state only moves forward (queued, running, ended), so an event
 * held back while a dialog was open never takes a square back.
 */
import { signal, type Signal } from "@preact/signals";
import type { PipelineSummary, RecentRun, RunState } from "../../api/types";
import type { RunEvent } from "../../live/types";

export const RECENT_RUNS = 20;

export const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/** A recent run as the page shows it, with when it ended where known (the newest's from the list's last_run, later ones from their run.finished). */
export type ShownRun = RecentRun & { finished_at?: string | null };

const rank = (state: RunState) => (state === "queued" ? 0 : state === "running" ? 1 : 2);
const newestFirst = (a: ShownRun, b: ShownRun) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? 1 : -1);

export class RecentRuns {
  /** Per pipeline, newest first; undefined until a list with its runs came. A signal each, so one row's change re-renders that row only. */
  private readonly lists = new Map<string, Signal<ShownRun[] | undefined>>();
  private readonly keyOfRun = new Map<string, string>();
  /** When runs started (their run.started's time), to give a duration when they end. */
  private readonly startedAt = new Map<string, number>();
  /** While a list is being asked for: what events said meanwhile (the answer may have been read before them). */
  private asking = 0;
  private readonly meanwhile = new Map<string, { key: string; run: ShownRun }>();

  listOf(key: string): Signal<ShownRun[] | undefined> {
    let list = this.lists.get(key);
    if (!list) {
      list = signal<ShownRun[] | undefined>(undefined);
      this.lists.set(key, list);
    }
    return list;
  }

  /** Whether every pipeline of this list has its runs here (else the list must be asked for with them). */
  knows(pipelines: PipelineSummary[]): boolean {
    return pipelines.every((pipeline) => this.lists.get(keyOf(pipeline.namespace, pipeline.name))?.peek() !== undefined);
  }

  /** The freshest known state of a pipeline's last run. */
  lastState(pipeline: PipelineSummary): RunState | undefined {
    const newest = this.lists.get(keyOf(pipeline.namespace, pipeline.name))?.value?.[0];
    return newest?.state ?? pipeline.last_run?.state;
  }

  /** A list with ?recent=N is being asked for; `answered` with it (or undefined when it failed). */
  asked(): (pipelines: PipelineSummary[] | undefined) => void {
    this.asking++;
    return (pipelines) => {
      if (pipelines) this.setFrom(pipelines);
      if (--this.asking === 0) this.meanwhile.clear();
    };
  }

  private setFrom(pipelines: PipelineSummary[]): void {
    const byKey = new Map<string, ShownRun[]>();
    for (const pipeline of pipelines) {
      if (!pipeline.recent) continue;
      const last = pipeline.last_run;
      const runs = pipeline.recent.map((run): ShownRun => (last && run.id === last.id ? { ...run, finished_at: last.finished_at } : run));
      byKey.set(keyOf(pipeline.namespace, pipeline.name), runs);
    }
    for (const { key, run } of this.meanwhile.values()) {
      const runs = byKey.get(key);
      if (!runs) continue;
      const index = runs.findIndex((entry) => entry.id === run.id);
      if (index < 0) runs.push(run);
      else if (rank(run.state) > rank(runs[index]!.state)) runs[index] = { ...runs[index]!, ...run };
    }
    for (const [key, runs] of byKey) this.setList(key, runs);
  }

  /** Applies a batch of run events; returns the runs that ended. */
  applyEvents(events: RunEvent[]): string[] {
    const finished: string[] = [];
    for (const event of events) {
      if (event.type === "run.created") {
        const namespace = (event.data?.["namespace"] as string | undefined) ?? event.namespace;
        const pipeline = (event.data?.["pipeline"] as string | undefined) ?? event.pipeline;
        if (namespace === undefined || pipeline === undefined) continue;
        const key = keyOf(namespace, pipeline);
        this.keyOfRun.set(event.run_id, key);
        this.update(key, { id: event.run_id, state: "queued", created_at: new Date(event.ts).toISOString(), duration_ms: null });
        continue;
      }
      if (event.type !== "run.started" && event.type !== "run.finished") continue;
      const key = this.keyOfRun.get(event.run_id);
      const run = key === undefined ? undefined : (this.meanwhile.get(event.run_id)?.run ?? this.lists.get(key)?.peek()?.find((entry) => entry.id === event.run_id));
      // A run the page never listed (older than a pipeline's newest 20) has no square to change.
      if (key === undefined || run === undefined) continue;
      if (event.type === "run.started") {
        this.startedAt.set(run.id, event.ts);
        this.update(key, { ...run, state: "running" });
        continue;
      }
      const started = this.startedAt.get(run.id);
      this.startedAt.delete(run.id);
      const state = (event.data?.["state"] as RunState | undefined) ?? run.state;
      this.update(key, { ...run, state, finished_at: new Date(event.ts).toISOString(), duration_ms: started === undefined ? run.duration_ms : event.ts - started });
      finished.push(event.run_id);
    }
    return finished;
  }

  /** The pipeline (namespace/name) of a run the page shows. */
  pipelineOf(id: string): string | undefined {
    return this.keyOfRun.get(id);
  }

  private update(key: string, run: ShownRun): void {
    if (this.asking > 0) this.meanwhile.set(run.id, { key, run });
    const list = this.lists.get(key);
    const current = list?.peek();
    if (!list || current === undefined) return;
    const old = current.find((entry) => entry.id === run.id);
    if (old && rank(old.state) > rank(run.state)) return;
    this.setList(key, [run, ...current.filter((entry) => entry.id !== run.id)]);
  }

  private setList(key: string, runs: ShownRun[]): void {
    const list = this.listOf(key);
    const sorted = runs.sort(newestFirst).slice(0, RECENT_RUNS);
    const kept = new Set(sorted.map((run) => run.id));
    // A run pushed out of the newest 20 is forgotten: a page left open for days does not grow.
    for (const run of list.peek() ?? []) {
      if (kept.has(run.id)) continue;
      this.keyOfRun.delete(run.id);
      this.startedAt.delete(run.id);
    }
    for (const run of sorted) this.keyOfRun.set(run.id, key);
    list.value = sorted;
  }
}
