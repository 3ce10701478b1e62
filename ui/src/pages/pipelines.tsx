/**
 * The home page: every pipeline, grouped by namespace, with its triggers in
 * words, its next fire time, its last 20 runs, and Run / Pause / Resume.
 * All of it in one request (GET /pipelines?recent=20). Live: runs come in
 * and change state from the events alone; the list is asked again when
 * definitions change, and (for the next fire times) after runs start or end.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { listPipelines } from "../api/pipelines";
import { canRun } from "../api/session";
import type { PipelineSummary } from "../api/types";
import { announce } from "../components/announcer";
import { ErrorMessage } from "../components/error-message";
import { usePageTitle } from "../components/page-title";
import { useProgressiveCount } from "../components/use-progressive-count";
import { stateLabel } from "../components/state-badge";
import { shortRunId } from "../format/run-id";
import { useLiveEvents } from "../live/use-live-events";
import { currentQuery } from "../router/router";
import { FilterBar } from "./pipelines/filter-bar";
import { filtersFrom, pipelineMatcher } from "./pipelines/filters";
import { PauseDialog } from "./pipelines/pause-dialog";
import { PipelineRow, type RowAction } from "./pipelines/pipeline-row";
import { RECENT_RUNS, RecentRuns, keyOf } from "./pipelines/recent-runs";
import { RunDialog } from "./pipelines/run-dialog";

/** A run made by a schedule moves the next fire time: the list is asked again, at most this often. */
const NEXT_FIRE_REFRESH_MS = 5_000;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byNamespaceAndName = (a: PipelineSummary, b: PipelineSummary) => compare(a.namespace, b.namespace) || compare(a.name, b.name);

/** Sorted pipelines in runs of one namespace each. */
function groupByNamespace(sorted: PipelineSummary[]): [string, PipelineSummary[]][] {
  const groups: [string, PipelineSummary[]][] = [];
  for (const pipeline of sorted) {
    const last = groups.at(-1);
    if (last && last[0] === pipeline.namespace) last[1].push(pipeline);
    else groups.push([pipeline.namespace, [pipeline]]);
  }
  return groups;
}

export default function PipelinesPage() {
  usePageTitle("Pipelines");
  const [pipelines, setPipelines] = useState<PipelineSummary[] | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  const [open, setOpen] = useState<{ action: RowAction; pipeline: PipelineSummary } | null>(null);
  const recent = useMemo(() => new RecentRuns(), []);
  const lastListFetch = useRef(0);
  const listTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const disposed = useRef(false);
  const asked = useRef(0);

  /**
   * The list, in one request. With `withRuns`, each pipeline's last 20 runs
   * come with it; without, only the rest is asked again (next fire times,
   * paused states), and the runs the page holds stay, kept up to date by the
   * events. A pipeline new to the page makes it ask again with its runs.
   */
  const loadList = useCallback(async function load(withRuns: boolean): Promise<void> {
    lastListFetch.current = Date.now();
    const mine = ++asked.current;
    const answered = withRuns ? recent.asked() : undefined;
    try {
      const list = await listPipelines({ recent: withRuns ? RECENT_RUNS : 0 });
      answered?.(list);
      // An answer overtaken by a newer request's is dropped (its runs are not: they only move forward).
      if (disposed.current || mine !== asked.current) return;
      setPipelines(list);
      setLoadError(undefined);
      if (!withRuns && !recent.knows(list)) await load(true);
    } catch (error) {
      answered?.(undefined);
      if (!disposed.current) setLoadError(error);
    }
  }, []);

  /** Asks for the list again soon, not more than once per NEXT_FIRE_REFRESH_MS. */
  const reloadListSoon = useCallback(() => {
    if (listTimer.current !== undefined) return;
    const wait = Math.max(0, lastListFetch.current + NEXT_FIRE_REFRESH_MS - Date.now());
    listTimer.current = setTimeout(() => {
      listTimer.current = undefined;
      void loadList(false);
    }, wait);
  }, [loadList]);

  useEffect(() => {
    void loadList(true);
    return () => {
      disposed.current = true;
      clearTimeout(listTimer.current);
    };
  }, []);

  useLiveEvents((batch) => {
    if (batch.resync) {
      void loadList(true);
      return;
    }
    if (batch.pipelines.length > 0) void loadList(false);
    // A run a trigger started means that trigger has a new next time; so may a finished run (after_finish, after).
    if (batch.events.some((event) => event.type === "run.created" || event.type === "run.finished")) reloadListSoon();
    const finished = recent.applyEvents(batch.events);
    for (const id of finished) {
      const pipeline = recent.pipelineOf(id);
      const state = pipeline && recent.listOf(pipeline).peek()?.find((run) => run.id === id)?.state;
      if (pipeline && state) announce(`${pipeline}: run ${shortRunId(id)} ${stateLabel(state)}`);
    }
  });

  const query = currentQuery.value;
  const filters = filtersFrom(query);
  const matches = pipelineMatcher(filters, (pipeline) => recent.lastState(pipeline));
  const shown = (pipelines ?? []).filter(matches).sort(byNamespaceAndName);
  const rendered = useProgressiveCount(shown.length);
  const perNamespace = new Map<string, number>();
  for (const pipeline of shown) perNamespace.set(pipeline.namespace, (perNamespace.get(pipeline.namespace) ?? 0) + 1);
  const namespaces = [...new Set((pipelines ?? []).map((pipeline) => pipeline.namespace))].sort();
  const allowed = canRun.value;
  const onAction = useCallback((action: RowAction, pipeline: PipelineSummary) => setOpen({ action, pipeline }), []);

  return (
    <section aria-labelledby="pipelines-title">
      <div class="page-head">
        <h1 id="pipelines-title">Pipelines</h1>
      </div>
      {loadError !== undefined && <ErrorMessage error={loadError} />}
      {pipelines === undefined ? (
        loadError === undefined && <p class="loading">Loading pipelines…</p>
      ) : pipelines.length === 0 ? (
        <div class="empty">
          <p>No pipelines yet.</p>
          <p class="muted">
            Apply a definitions file: <code>spire apply -f spire.yaml</code> (or start the engine with <code>spire engine -f spire.yaml</code>).
          </p>
        </div>
      ) : (
        <>
          <FilterBar filters={filters} namespaces={namespaces} shown={shown.length} total={pipelines.length} />
          {shown.length === 0 && <p class="empty">No pipeline matches these filters.</p>}
          {groupByNamespace(shown.slice(0, rendered)).map(([ns, list]) => (
            <section key={ns} class="namespace" aria-labelledby={`ns-${ns}`}>
              <h2 id={`ns-${ns}`} class="namespace__title">
                {ns} <span class="namespace__count muted">{perNamespace.get(ns)}</span>
              </h2>
              <div class="namespace__list">
                {list.map((pipeline) => (
                  <PipelineRow key={keyOf(pipeline.namespace, pipeline.name)} pipeline={pipeline} recent={recent} canRun={allowed} onAction={onAction} />
                ))}
              </div>
            </section>
          ))}
        </>
      )}
      {open?.action === "run" && <RunDialog pipeline={open.pipeline} onClose={() => setOpen(null)} />}
      {(open?.action === "pause" || open?.action === "resume") && (
        <PauseDialog
          pipeline={open.pipeline}
          action={open.action}
          onClose={() => setOpen(null)}
          onDone={(updated) => setPipelines((list) => list?.map((entry) => (entry.namespace === updated.namespace && entry.name === updated.name ? updated : entry)))}
        />
      )}
    </section>
  );
}
