/**
 * Two runs side by side (/compare?a=ID&b=ID): what they were, their
 * arguments, each task's figures, and for each task whose log differs, the
 * first line where it does. A is meant to be the older run, B the newer.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError } from "../api/api-error";
import { getRun } from "../api/runs";
import type { Run } from "../api/types";
import { ErrorMessage } from "../components/error-message";
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";
import { StateBadge } from "../components/state-badge";
import { AbsoluteTime } from "../components/time-label";
import { shortRunId } from "../format/run-id";
import { useLiveEvents } from "../live/use-live-events";
import { currentQuery, navigate } from "../router/router";
import { paths } from "../router/routes";
import { formatDuration } from "../time/format";
import { compareArgs, formatBytes, pairTasks } from "./compare/diff";
import { LogDiffs } from "./compare/log-diffs";
import { TaskTable } from "./compare/task-table";
import { triggerDetail } from "./runs/trigger-label";
import "../styles/runs.css";
import "../styles/compare.css";

type Loaded = { a: Run; b: Run } | undefined;

export default function ComparePage(_props: PageProps) {
  const query = currentQuery.value;
  const idA = (query.get("a") ?? "").trim();
  const idB = (query.get("b") ?? "").trim();
  usePageTitle(idA && idB ? `Compare ${shortRunId(idA)} and ${shortRunId(idB)}` : "Compare two runs");
  const [runs, setRuns] = useState<Loaded>();
  const [error, setError] = useState<{ side: string; error: unknown } | null>(null);
  const [onlyDifferences, setOnlyDifferences] = useState(false);

  async function load() {
    if (!idA || !idB) return;
    const side = async (id: string, name: string) => {
      try {
        return await getRun(id);
      } catch (failure) {
        throw { side: name, error: failure };
      }
    };
    try {
      const [a, b] = await Promise.all([side(idA, "A"), side(idB, "B")]);
      setRuns({ a, b });
      setError(null);
    } catch (failure) {
      setError(failure as { side: string; error: unknown });
    }
  }

  useEffect(() => {
    setRuns(undefined);
    void load();
  }, [idA, idB]);

  // A run still going changes: read both again when either moves.
  useLiveEvents((batch) => {
    if (batch.resync || batch.events.some((event) => event.run_id === idA || event.run_id === idB)) void load();
  });

  if (!idA || !idB) return <ChooseRuns a={idA} b={idB} />;

  return (
    <section class="compare-page" aria-labelledby="compare-title">
      <div class="page-head">
        <h1 id="compare-title">
          Compare <span class="mono">{shortRunId(idA)}</span> and <span class="mono">{shortRunId(idB)}</span>
        </h1>
        <a href={paths.compare(idB, idA)} class="button button--small">
          Swap A and B
        </a>
      </div>
      {error && (
        <ErrorMessage
          title={`Run ${error.side} (${error.side === "A" ? idA : idB}):`}
          error={error.error instanceof ApiError && error.error.status === 404 ? new ApiError("not_found", "the engine has no such run (it may have been removed by retention).", null, 404) : error.error}
        />
      )}
      {!runs ? !error && <p class="loading">Loading both runs…</p> : <Comparison a={runs.a} b={runs.b} onlyDifferences={onlyDifferences} setOnlyDifferences={setOnlyDifferences} />}
    </section>
  );
}

function Comparison({ a, b, onlyDifferences, setOnlyDifferences }: { a: Run; b: Run; onlyDifferences: boolean; setOnlyDifferences: (value: boolean) => void }) {
  const args = useMemo(() => compareArgs(a, b), [a, b]);
  const pairs = useMemo(() => pairTasks(a, b), [a, b]);
  const differentArgs = args.filter((row) => row.differs).length;
  const finished = a.finished_at !== null && b.finished_at !== null;
  // Logs are compared for tasks that ran in both, once both runs are over.
  const logTasks = useMemo(() => (finished ? pairs.filter((pair) => (pair.a?.attempts ?? 0) > 0 && (pair.b?.attempts ?? 0) > 0).map((pair) => pair.path) : []), [pairs, finished]);

  return (
    <>
      {(a.namespace !== b.namespace || a.pipeline !== b.pipeline) && (
        <p class="notice">
          These runs are of two pipelines ({a.namespace}/{a.pipeline} and {b.namespace}/{b.pipeline}): tasks are matched by their paths.
        </p>
      )}
      <div class="compare-heads">
        <RunHead side="A" run={a} />
        <RunHead side="B" run={b} />
      </div>

      <section class="panel" aria-labelledby="args-title">
        <h2 id="args-title">
          Arguments <span class="muted compare-count">{args.length === 0 ? "none" : differentArgs === 0 ? "the same" : `${differentArgs} of ${args.length} differ`}</span>
        </h2>
        {args.length > 0 && (
          <table class="data-table args-table">
            <thead>
              <tr>
                <th scope="col">Argument</th>
                <th scope="col">A</th>
                <th scope="col">B</th>
              </tr>
            </thead>
            <tbody>
              {args.map((row) => (
                <tr key={row.name} class={row.differs ? "is-diff" : undefined}>
                  <th scope="row">
                    <code>{row.name}</code>
                    {row.differs && <span class="tag tag--warn">differs</span>}
                  </th>
                  <td data-label="A">{row.a === undefined ? <span class="muted">not given</span> : <code class="value">{row.a}</code>}</td>
                  <td data-label="B">{row.b === undefined ? <span class="muted">not given</span> : <code class="value">{row.b}</code>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="panel" aria-labelledby="tasks-title">
        <div class="panel__head">
          <h2 id="tasks-title">Tasks</h2>
          <label class="check">
            <input type="checkbox" checked={onlyDifferences} onChange={(event) => setOnlyDifferences(event.currentTarget.checked)} /> Only tasks that differ
          </label>
        </div>
        <p class="muted compare-note">A time, CPU or memory figure differs when B's is at least a quarter more or less than A's (and by more than 0.5 s, 0.1 s of CPU or 1 MiB).</p>
        <TaskTable pairs={pairs} runA={a.id} runB={b.id} onlyDifferences={onlyDifferences} />
      </section>

      <LogDiffs runA={a.id} runB={b.id} tasks={logTasks} waiting={!finished} />
    </>
  );
}

function RunHead({ side, run }: { side: "A" | "B"; run: Run }) {
  const detail = triggerDetail(run.trigger);
  return (
    <section class="panel compare-head" aria-label={`Run ${side}`}>
      <h2 class="compare-head__title">
        <span class="pair__tag pair__tag--big" aria-hidden="true">
          {side}
        </span>
        <a href={paths.run(run.id)} class="mono" title={run.id}>
          {run.id}
        </a>
      </h2>
      <dl class="facts">
        <div>
          <dt>Pipeline</dt>
          <dd>
            <a href={paths.pipeline(run.namespace, run.pipeline)}>
              {run.namespace}/{run.pipeline}
            </a>
          </dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>
            <StateBadge state={run.state} />
            {run.reason && <span class="muted"> {run.reason}</span>}
          </dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>
            {run.trigger.kind}
            {detail && <span class="muted"> {detail}</span>}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <AbsoluteTime time={run.created_at} />
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(run.duration_ms)}</dd>
        </div>
        <div>
          <dt>Warnings, errors</dt>
          <dd>
            {run.warnings}, {run.errors}
          </dd>
        </div>
        <div>
          <dt>CPU, peak memory</dt>
          <dd>
            {formatDuration(run.cpu_ms)}, {formatBytes(run.peak_rss_bytes)}
          </dd>
        </div>
      </dl>
    </section>
  );
}

/** Without both ids: two fields, or a pointer to the runs page where two runs can be ticked. */
function ChooseRuns({ a, b }: { a: string; b: string }) {
  const [left, setLeft] = useState(a);
  const [right, setRight] = useState(b);
  return (
    <section class="compare-page" aria-labelledby="compare-title">
      <h1 id="compare-title">Compare two runs</h1>
      <p>
        Tick two runs on the <a href={paths.runs()}>runs page</a>, or give their ids:
      </p>
      <form
        class="compare-choose"
        onSubmit={(event) => {
          event.preventDefault();
          if (left.trim() && right.trim()) navigate(paths.compare(left.trim(), right.trim()));
        }}
      >
        <div class="field">
          <label for="compare-a">Run A (the older)</label>
          <input id="compare-a" class="mono" value={left} onInput={(event) => setLeft(event.currentTarget.value)} autoComplete="off" spellcheck={false} required />
        </div>
        <div class="field">
          <label for="compare-b">Run B (the newer)</label>
          <input id="compare-b" class="mono" value={right} onInput={(event) => setRight(event.currentTarget.value)} autoComplete="off" spellcheck={false} required />
        </div>
        <button type="submit" class="button button--primary">
          Compare
        </button>
      </form>
    </section>
  );
}
