/**
 * One pipeline: what starts it and when next, its graph, a history grid of
 * its tasks over the last 50 runs with their durations, the slots it
 * missed and why, its webhook, its definition and where it came from; Run
 * and Pause/Resume (each with its CLI command). Live: new runs come in as
 * columns, task states change in place.
 */
import { signal } from "@preact/signals";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, messageOf } from "../api/api-error";
import { getPipeline } from "../api/pipelines";
import { canRun } from "../api/session";
import type { PipelineDetail, PipelineSummary } from "../api/types";
import { announce } from "../components/announcer";
import { ErrorMessage } from "../components/error-message";
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";
import { StateBadge, stateLabel } from "../components/state-badge";
import { RelativeTime } from "../components/time-label";
import { shortRunId } from "../format/run-id";
import { useLiveEvents } from "../live/use-live-events";
import { paths } from "../router/routes";
import { showUtc } from "../time/zone-choice";
import { graphModelFromDefinition } from "../graph/model";
import { TaskGraph } from "../graph/task-graph";
import { PauseDialog } from "./pipelines/pause-dialog";
import { RunDialog } from "./pipelines/run-dialog";
import { StartFacts } from "./pipelines/start-facts";
import { PausedNote } from "./pipelines/paused-note";
import { listMissed, type MissedRecord, type NamespaceInfo } from "./pipeline/api";
import { Definition, Origin } from "./pipeline/definition";
import { DurationsChart } from "./pipeline/durations-chart";
import { MissedSlots, NextFireTimes } from "./pipeline/fire-times";
import { HISTORY_RUNS, PipelineHistory } from "./pipeline/history";
import { HistoryGrid } from "./pipeline/history-grid";
import { allRows, visibleRows } from "./pipeline/rows";
import { Webhook } from "./pipeline/webhook";
import "../styles/runs.css";
import "../styles/pipeline.css";

const MISSED_PAGE = 20;

function originOf(pipeline: PipelineDetail): NamespaceInfo | null {
  const origin = pipeline.origin;
  return origin ? { name: pipeline.namespace, origin, metadata: {}, created_at: origin.applied_at, updated_at: origin.applied_at } : null;
}

export default function PipelinePage({ params }: PageProps) {
  const ns = params["ns"] ?? "";
  const name = params["name"] ?? "";
  const label = `${ns}/${name}`;
  usePageTitle(label);
  const utc = showUtc.value;

  const [pipeline, setPipeline] = useState<PipelineDetail | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  const [dialog, setDialog] = useState<"run" | "pause" | "resume" | null>(null);
  const history = useMemo(() => new PipelineHistory(ns, name), []);
  const focusRow = useMemo(() => signal<string | undefined>(undefined), []);
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  const [missed, setMissed] = useState<{ records: MissedRecord[]; next: number | null } | undefined>();
  const [missedError, setMissedError] = useState<string | null>(null);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scroller = useRef<HTMLDivElement>(null);

  const loadPipeline = useCallback(async () => {
    try {
      setPipeline(await getPipeline(ns, name));
      setLoadError(undefined);
    } catch (error) {
      setLoadError(error);
    }
  }, []);

  const loadMissed = useCallback(async (before?: number) => {
    try {
      const page = await listMissed(ns, name, { limit: MISSED_PAGE, before });
      setMissed((old) => ({ records: before === undefined ? page.missed : [...(old?.records ?? []), ...page.missed], next: page.next_cursor }));
      setMissedError(null);
    } catch (error) {
      setMissedError(messageOf(error));
    }
  }, []);

  /** The answer to a pause or resume (a summary: no next slots) at once, then the whole pipeline again for its next slots. */
  const pausedOrResumed = useCallback((updated: PipelineSummary) => {
    setPipeline((old) => old && { ...old, ...updated, trigger_info: updated.trigger_info.map((reading, index) => ({ ...reading, next: updated.paused ? [] : (old.trigger_info[index]?.next ?? []) })) });
    void loadPipeline();
  }, []);

  /** A run made or finished moves the next fire times and the last result: the pipeline is asked again, at most every 2 s. */
  const reloadPipelineSoon = useCallback(() => {
    if (reloadTimer.current !== undefined) return;
    reloadTimer.current = setTimeout(() => {
      reloadTimer.current = undefined;
      void loadPipeline();
    }, 2000);
  }, []);

  useEffect(() => {
    void loadPipeline();
    void history.load();
    void loadMissed();
    return () => {
      history.dispose();
      clearTimeout(reloadTimer.current);
    };
  }, []);

  useLiveEvents((batch) => {
    if (batch.resync) {
      void loadPipeline();
      void history.load();
      void loadMissed();
      return;
    }
    if (batch.pipelines.length > 0) {
      void loadPipeline();
    }
    const finished = history.applyEvents(batch.events);
    for (const { id, state } of finished) announce(`${label}: run ${shortRunId(id)} ${stateLabel(state)}`);
    if (batch.events.some((event) => event.type === "run.created" || event.type === "run.finished")) reloadPipelineSoon();
    const ours = (record: unknown) => {
      const entry = record as Partial<MissedRecord> | null;
      return !entry || entry.namespace === undefined || (entry.namespace === ns && entry.pipeline === name);
    };
    if (batch.missed.some(ours)) void loadMissed();
  });

  // One model while the definition is the same (each reload of the pipeline is a new object): the graph lays out once per model.
  const graphModel = useMemo(() => (pipeline ? graphModelFromDefinition(pipeline.definition) : undefined), [pipeline?.updated_at, pipeline === undefined]);
  const [picked, setPicked] = useState<string | undefined>();

  const runs = history.runs.value;
  const status = history.status.value;
  const rows = useMemo(() => allRows(runs), [runs]);
  const shownRows = useMemo(() => visibleRows(rows, toggled), [rows, toggled]);
  const onToggle = useCallback((path: string) => {
    setToggled((old) => {
      const next = new Set(old);
      if (!next.delete(path)) next.add(path);
      return next;
    });
  }, []);
  const onFocusRow = useCallback((path: string | undefined) => {
    if (focusRow.peek() !== path) focusRow.value = path;
  }, []);

  // The newest runs are on the right: start the grid scrolled there.
  const hadColumns = useRef(false);
  useLayoutEffect(() => {
    if (hadColumns.current || runs.length === 0 || !scroller.current) return;
    hadColumns.current = true;
    scroller.current.scrollLeft = scroller.current.scrollWidth;
  }, [runs.length]);

  if (loadError !== undefined && !pipeline) {
    const missing = loadError instanceof ApiError && loadError.status === 404;
    return (
      <section class="pipeline-page">
        <h1>{label}</h1>
        {missing ? (
          <div class="empty">
            <p>The engine has no pipeline {label}: it may have been removed, or renamed.</p>
            <p>
              Its past runs, if any, are on the <a href={paths.runs({ pipeline: label })}>runs page</a>.
            </p>
          </div>
        ) : (
          <ErrorMessage error={loadError} />
        )}
      </section>
    );
  }
  if (!pipeline) return <p class="loading">Loading {label}…</p>;

  // The engine's own words for each trigger.
  const hasWebhook = pipeline.triggers.some((trigger) => trigger.kind === "webhook");
  const allowed = canRun.value;
  const lastRun = pipeline.last_run;

  return (
    <article class="pipeline-page" aria-labelledby="pipeline-title">
      <header class="pipeline-page__head">
        <p class="pipeline-page__crumbs">
          <a href={paths.pipelines()}>Pipelines</a> / <span>{ns}</span>
        </p>
        <div class="page-head">
          <h1 id="pipeline-title">{name}</h1>
          <PausedNote pipeline={pipeline} />
          {allowed && (
            <div class="pipeline-page__actions">
              <button type="button" class="button button--primary" onClick={() => setDialog("run")}>
                Run…
              </button>
              <button type="button" class="button" onClick={() => setDialog(pipeline.paused ? "resume" : "pause")}>
                {pipeline.paused ? "Resume…" : "Pause…"}
              </button>
            </div>
          )}
        </div>
        {pipeline.description && <p class="pipeline-page__description">{pipeline.description}</p>}
        <dl class="facts facts--inline">
          <StartFacts pipeline={pipeline} />
          <div>
            <dt>Last run</dt>
            <dd>
              {lastRun ? (
                <a href={paths.run(lastRun.id)} class="plain-link">
                  <StateBadge state={lastRun.state} /> {lastRun.finished_at && <RelativeTime time={lastRun.finished_at} class="muted" />}
                </a>
              ) : (
                "never ran"
              )}
            </dd>
          </div>
          <div>
            <dt>All runs</dt>
            <dd>
              <a href={paths.runs({ pipeline: label })}>on the runs page</a>
            </dd>
          </div>
        </dl>
      </header>

      {/* The task graph (ui/src/graph/), as its documentation says for a pipeline: no states. Picking a task shows its durations in the chart below. */}
      <section aria-label="Graph" class="panel panel--wide graph-panel">
        <h2>Graph</h2>
        {graphModel ? (
          <TaskGraph
            model={graphModel}
            selected={picked}
            onSelect={(path) => {
              setPicked(path);
              focusRow.value = path;
            }}
            label={`Tasks of ${label}`}
          />
        ) : (
          <p class="muted">No tasks to draw.</p>
        )}
      </section>

      <section class="panel panel--wide history" aria-labelledby="history-title">
        <div class="panel__head">
          <h2 id="history-title">History</h2>
          <p class="muted history__hint">
            The last {HISTORY_RUNS} runs, newest on the right. Point at or move to a task's row to see its durations; arrow keys move through the grid.
          </p>
        </div>
        {status.error !== undefined && <ErrorMessage error={status.error} />}
        {status.failed && (
          <p class="notice notice--error" role="alert">
            Some runs' tasks could not be read: {status.failed}
          </p>
        )}
        {status.loading && runs.length === 0 ? (
          <p class="loading">Loading runs…</p>
        ) : runs.length === 0 ? (
          <p class="muted">No runs yet.</p>
        ) : (
          <div class="history__scroll" ref={scroller}>
            <DurationsChart runs={runs} focus={focusRow} />
            <HistoryGrid runs={runs} rows={shownRows} toggled={toggled} utc={utc} pipeline={label} onToggle={onToggle} onFocusRow={onFocusRow} />
          </div>
        )}
      </section>

      <div class="pipeline-page__pair">
        <NextFireTimes pipeline={pipeline} />
        <MissedSlots missed={missed?.records} readings={pipeline.trigger_info} error={missedError} hasMore={Boolean(missed?.next)} onMore={() => void loadMissed(missed?.next ?? undefined)} />
      </div>

      {hasWebhook && <Webhook pipeline={pipeline} />}

      <div class="pipeline-page__pair pipeline-page__pair--definition">
        <Origin namespace={originOf(pipeline)} />
        <Definition pipeline={pipeline} file={pipeline.origin?.path} />
      </div>

      {dialog === "run" && <RunDialog pipeline={pipeline} onClose={() => setDialog(null)} />}
      {(dialog === "pause" || dialog === "resume") && (
        <PauseDialog pipeline={pipeline} action={dialog} onClose={() => setDialog(null)} onDone={pausedOrResumed} />
      )}
    </article>
  );
}
