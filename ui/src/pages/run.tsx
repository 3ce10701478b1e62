/**
 * A run: its header (state, trigger, arguments, times, CPU, memory,
 * warnings, errors, metrics), its task graph and timeline, the selected
 * task's details and log; live while it runs. Cancel, retry the failed
 * tasks, retry from a task, each with its CLI line. The selected task, the
 * view and the panel's tab are in the URL (/runs/ID?task=dump&tab=logs),
 * so a link shows the same thing.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/api-error";
import { canRun } from "../api/session";
import type { Run, TaskState } from "../api/types";
import { announce } from "../components/announcer";
import { ErrorMessage } from "../components/error-message";
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";
import { stateLabel } from "../components/state-badge";
import { shortRunId } from "../format/run-id";
import { graphModelFromDefinition, type GraphModel } from "../graph/model";
import { whenIdle } from "../graph/later";
import { TaskGraph } from "../graph/task-graph";
import { attemptIn, readLinkedLog } from "../logs/log-early";
import { useLiveEvents } from "../live/use-live-events";
import { currentQuery, setQuery } from "../router/router";
import { paths } from "../router/routes";
import { formatDuration } from "../time/format";
import { ActionDialog, type RunAction } from "./run/action-dialog";
import { Tabs } from "./run/parts";
import { RunLinks } from "./run/run-links";
import { RunFacts, RunTitle } from "./run/run-header";
import { RunStore } from "./run/run-store";
import { TaskPanel, type PanelTab } from "./run/task-panel";
import { TimelineView } from "./run/timeline";
import { buildTimeline, type Bar } from "./run/timeline-model";
import "../styles/run.css";

type View = "graph" | "timeline";

const VIEWS: [View, string][] = [
  ["graph", "Graph"],
  ["timeline", "Timeline"],
];

const FAILED: ReadonlySet<TaskState> = new Set(["failed", "timed_out", "interrupted"]);

export default function RunPage({ params }: PageProps) {
  const id = params.id ?? "";
  const store = useMemo(() => new RunStore(id), [id]);
  const [action, setAction] = useState<RunAction | null>(null);

  // Before the first paint: the requests go out a frame sooner; a log the URL names, at the same time.
  useLayoutEffect(() => {
    readLinkedLog(id, currentQuery.peek());
    void store.load();
    return () => store.dispose();
  }, [store]);
  useLiveEvents((batch) => store.onLive(batch));

  const run = store.run.value;
  const definition = store.definition.value;
  const model = useMemo(() => (definition ? graphModelFromDefinition(definition) : undefined), [definition]);

  // Say it when the run ends while the page is open.
  const lastState = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!run) return;
    if (lastState.current !== undefined && lastState.current !== run.state && run.finished_at !== null) announce(`The run ${stateLabel(run.state)}`);
    lastState.current = run.state;
  }, [run?.state]);

  usePageTitle(run ? `${run.pipeline} ${shortRunId(run.id)} ${stateLabel(run.state)}` : `Run ${shortRunId(id)}`);

  const query = currentQuery.value;
  const view: View = query.get("view") === "timeline" ? "timeline" : "graph";
  const tab: PanelTab = query.get("tab") === "logs" ? "logs" : "details";
  const attempt = attemptIn(query);
  const selected = query.get("task") ?? (run ? firstFailed(run) : undefined);

  const select = (path: string) => setQuery({ task: path, attempt: undefined });

  if (store.loadError.value !== undefined && !run) {
    const error = store.loadError.value;
    return (
      <section class="run-page">
        <h1>Run {id}</h1>
        {error instanceof ApiError && error.status === 404 ? (
          <div class="empty">
            <p>The engine has no run {id}: the link may be mistyped, or the run removed by retention.</p>
            <p>
              The runs it has are on the <a href={paths.runs()}>runs page</a>.
            </p>
          </div>
        ) : (
          <ErrorMessage error={error} />
        )}
      </section>
    );
  }
  if (!run) return <p class="loading">Loading the run…</p>;

  const allowed = canRun.value;
  const ended = run.finished_at !== null;
  const secretArgs = new Set(Object.entries((definition?.args as Record<string, { secret?: boolean }> | undefined) ?? {}).filter(([, arg]) => arg?.secret).map(([name]) => name));
  const hasFailures = run.tasks.some((task) => FAILED.has(task.state) || task.state === "canceled");

  return (
    <section class="run-page" aria-labelledby="run-title">
      <header class="run-head" id="run-title">
        <RunTitle run={run} />
        <div class="run-actions" role="group" aria-label="Run actions">
          {allowed && !ended && (
            <button type="button" class="button button--danger" onClick={() => setAction({ kind: "cancel" })}>
              Cancel…
            </button>
          )}
          {allowed && ended && (hasFailures || run.state !== "succeeded") && (
            <button type="button" class="button" onClick={() => setAction({ kind: "retry" })}>
              Retry failed…
            </button>
          )}
          {allowed && ended && selected && run.tasks.some((task) => task.path === selected) && (
            <button type="button" class="button" onClick={() => setAction({ kind: "retry-from", task: selected })}>
              Retry from {selected}…
            </button>
          )}
          <RunLinks run={run} />
        </div>
      </header>
      {store.refreshError.value && (
        <p class="notice notice--error" role="status">
          This page may be behind: {store.refreshError.value}
        </p>
      )}
      <RunFacts run={run} secretArgs={secretArgs} />

      <section class="run-view" aria-label="Tasks">
        <Tabs tabs={VIEWS} selected={view} onSelect={(next) => setQuery({ view: next === "graph" ? undefined : next })} idBase="run" label="Show the tasks as">
          {view === "graph" ? <GraphPanel store={store} run={run} model={model} selected={selected} onSelect={select} /> : <TimelinePanel store={store} run={run} model={model} selected={selected} onSelect={select} />}
        </Tabs>
      </section>

      {selected ? (
        <TaskPanel
          run={run}
          path={selected}
          model={model}
          attempts={store.attemptsVersion.value >= 0 ? store.log.attemptsOf(selected) : []}
          artifacts={store.artifacts.value}
          artifactsError={store.artifactsError.value}
          tab={tab}
          onTab={(next) => setQuery({ tab: next === "details" ? undefined : next })}
          attempt={attempt}
          onAttempt={(next) => setQuery({ attempt: next === undefined ? undefined : String(next) })}
        />
      ) : (
        <p class="task-hint muted">Select a task in the graph or the timeline to see its details and log.</p>
      )}

      {action && <ActionDialog run={run} action={action} onClose={() => setAction(null)} onCanceled={() => store.refreshNow()} />}
    </section>
  );
}

function firstFailed(run: Run): string | undefined {
  return run.tasks.find((task) => FAILED.has(task.state))?.path;
}

interface PanelProps {
  store: RunStore;
  run: Run;
  model: GraphModel | undefined;
  selected: string | undefined;
  onSelect: (path: string) => void;
}

function GraphPanel({ store, run, model, selected, onSelect }: PanelProps) {
  const states = store.statuses.value;
  const version = store.attemptsVersion.value;
  const done = ended(run);
  // Marked once the run has ended (while it runs, the path changes with every task), worked out when the page is idle: after the graph is drawn.
  const [critical, setCritical] = useState<ReadonlySet<string> | undefined>(undefined);
  useEffect(() => {
    if (!model || !done) return;
    return whenIdle(() => setCritical(new Set(buildTimeline(run, model, store.log, Date.now()).criticalPath)), 1000);
  }, [model, done ? run : null, done ? version : 0]);

  if (store.definitionError.value !== undefined && !model) return <ErrorMessage error={store.definitionError.value} title="The graph cannot be drawn:" />;
  if (!model) return <p class="loading">Loading the graph…</p>;
  return (
    <>
      <TaskGraph model={model} states={states} selected={selected} onSelect={onSelect} critical={done ? critical : undefined} label={`Tasks of run ${run.id} of ${run.namespace}/${run.pipeline}`} />
      {done && critical && critical.size > 0 && <p class="graph-note muted">Boxes with a heavy outline are on the critical path (see the timeline).</p>}
    </>
  );
}

function ended(run: Run): boolean {
  return run.finished_at !== null;
}

function TimelinePanel({ store, run, model, selected, onSelect }: PanelProps) {
  const version = store.attemptsVersion.value;
  const live = !ended(run);
  const [tick, setTick] = useState(Date.now());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setTick(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [live]);
  const previous = useRef(new Map<string, Bar>());
  const timeline = useMemo(() => {
    const built = buildTimeline(run, model, store.log, live ? tick : Date.now());
    // Rows that did not change keep their object: only changed rows are drawn again.
    const next = new Map<string, Bar>();
    built.rows = built.rows.map((bar) => {
      const key = `${bar.path}#${bar.attempt}`;
      const before = previous.current.get(key);
      const same = before && sameBar(before, bar) ? before : bar;
      next.set(key, same);
      return same;
    });
    previous.current = next;
    return built;
  }, [run, model, version, tick]);

  if (timeline.rows.length === 0) return <p class="muted">No tasks.</p>;
  const path = timeline.criticalPath;
  const pathTime = path.length > 0 ? timeline.rows.filter((bar) => bar.path === path[path.length - 1]).reduce((end, bar) => Math.max(end, bar.finishedAt ?? timeline.end), 0) - timeline.start : 0;
  return (
    <>
      <p class="timeline-summary">
        {path.length > 0 ? (
          <>
            <strong>Critical path</strong> ({formatDuration(pathTime)}{live ? " so far" : ""}): {path.slice(0, 12).join(" → ")}
            {path.length > 12 ? ` → … (${path.length} tasks)` : ""}
          </>
        ) : (
          "Nothing has run yet."
        )}
      </p>
      {store.historyError.value && (
        <p class="notice" role="status">
          Each attempt's times could not be read ({store.historyError.value}): the rows show each task's last attempt.
        </p>
      )}
      <TimelineView timeline={timeline} selected={selected} onSelect={onSelect} />
      <p class="timeline-legend muted">
        <span class="legend-swatch legend-swatch--queued" aria-hidden="true" /> waiting: {timeline.fromNeeds ? "from when its needs were met (worked out from when they ended), or its retry delay was over" : "from the run's start (the definition could not be read)"}, to its start ·{" "}
        <span class="legend-swatch legend-swatch--run" aria-hidden="true" /> running, in its state's colour · <span class="legend-mark" aria-hidden="true">◆</span> critical path
      </p>
    </>
  );
}

function sameBar(a: Bar, b: Bar): boolean {
  return (
    a.state === b.state &&
    a.readyAt === b.readyAt &&
    a.startedAt === b.startedAt &&
    a.finishedAt === b.finishedAt &&
    a.exitCode === b.exitCode &&
    a.reason === b.reason &&
    a.critical === b.critical &&
    a.attempts === b.attempts &&
    a.keptFrom === b.keptFrom &&
    a.waitedFor.kind === b.waitedFor.kind &&
    (a.waitedFor.kind !== "needs" || b.waitedFor.kind !== "needs" || a.waitedFor.path === b.waitedFor.path)
  );
}
