/**
 * Every run, newest first, filtered by pipeline, state, trigger and date
 * (in the URL), paged with the API's cursor ("Load more"), live: new runs
 * that match come in on top and states change in place. Two runs ticked
 * are compared side by side.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { listPipelines } from "../api/pipelines";
import { announce } from "../components/announcer";
import { CardBody, CardHead, CardRow, CardTable, ColumnHeader } from "../components/card-table";
import { ErrorMessage } from "../components/error-message";
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";
import { stateLabel } from "../components/state-badge";
import { shortRunId } from "../format/run-id";
import { useLiveEvents } from "../live/use-live-events";
import { currentQuery, navigate } from "../router/router";
import { paths } from "../router/routes";
import { now } from "../time/now";
import { showUtc } from "../time/zone-choice";
import { FilterBar } from "./runs/filter-bar";
import { filtersFrom, hasFilters } from "./runs/filters";
import { RunList } from "./runs/run-list";
import { SCAN_STEP } from "./runs/scan";
import { RunRow } from "./runs/run-row";
import "../styles/runs.css";

export default function RunsPage(_props: PageProps) {
  usePageTitle("Runs");
  const query = currentQuery.value;
  const utc = showUtc.value;
  const filters = filtersFrom(query);
  const filterKey = JSON.stringify([filters, utc]);
  const list = useMemo(() => new RunList(filters, utc), [filterKey]);
  const [pipelines, setPipelines] = useState<string[]>([]);
  const [selected, setSelected] = useState<string[]>([]);

  useEffect(() => {
    void list.loadMore();
    return () => list.dispose();
  }, [list]);

  useEffect(() => {
    listPipelines().then(
      (all) => setPipelines(all.map((pipeline) => `${pipeline.namespace}/${pipeline.name}`).sort()),
      () => {
        // Suggestions only: the filter works without them.
      },
    );
  }, []);

  useLiveEvents((batch) => {
    if (batch.resync) {
      list.reload();
      return;
    }
    const finished = list.applyEvents(batch.events, (count) => announce(`${count} new ${count === 1 ? "run" : "runs"}`));
    for (const { id, state } of finished) announce(`run ${shortRunId(id)} ${stateLabel(state)}`);
  });

  const runs = list.runs.value;
  const status = list.status.value;
  // The clock signal says when to re-render; times count from the real time (a record made a moment ago never reads as future).
  const clock = Math.max(now.value, Date.now());

  function select(id: string, on: boolean) {
    setSelected((old) => {
      const rest = old.filter((entry) => entry !== id);
      // Two at most: a third tick lets go of the first.
      return on ? [...rest, id].slice(-2) : rest;
    });
  }

  function compare() {
    const [first, second] = selected.map((id) => runs.find((run) => run.id === id)).filter((run) => run !== undefined);
    if (!first || !second) return;
    // A is the older run, B the newer: differences read as "what changed since".
    const [a, b] = Date.parse(first.created_at) <= Date.parse(second.created_at) ? [first, second] : [second, first];
    navigate(paths.compare(a.id, b.id));
  }

  const summary = status.filtering
    ? `${runs.length} ${runs.length === 1 ? "run" : "runs"} shown, from ${status.scanned.toLocaleString()} looked through${status.done ? " (all)" : ""}`
    : `${runs.length} ${runs.length === 1 ? "run" : "runs"}${status.done ? "" : " so far"}`;

  return (
    <section aria-labelledby="runs-title" class="runs-page">
      <div class="page-head">
        <h1 id="runs-title">Runs</h1>
      </div>
      <FilterBar filters={filters} pipelines={pipelines} utc={utc} />
      <div class="runs-bar">
        <p class="runs-bar__count muted" role="status">
          {status.loading && runs.length === 0 ? "Loading runs…" : summary}
        </p>
        <div class="runs-bar__compare" role="group" aria-label="Compare two runs">
          <span class="muted">{selected.length === 0 ? "Tick two runs to compare them." : selected.length === 1 ? `${shortRunId(selected[0]!)} ticked; tick one more.` : `${selected.map(shortRunId).join(" and ")} ticked.`}</span>
          <button type="button" class="button button--small button--primary" disabled={selected.length !== 2} onClick={compare}>
            Compare
          </button>
          {selected.length > 0 && (
            <button type="button" class="button button--small button--quiet" onClick={() => setSelected([])}>
              Clear
            </button>
          )}
        </div>
      </div>
      {status.error !== undefined && <ErrorMessage error={status.error} />}
      {runs.length === 0 && !status.loading && status.error === undefined && status.done ? (
        <div class="empty">
          {hasFilters(filters) ? (
            <p>No run matches these filters{status.filtering ? ` (${status.scanned.toLocaleString()} looked through)` : ""}.</p>
          ) : (
            <>
              <p>No runs yet.</p>
              <p class="muted">
                Start one from the <a href={paths.pipelines()}>pipelines</a> page, or with <code>spire run PIPELINE</code>.
              </p>
            </>
          )}
        </div>
      ) : (
        runs.length > 0 && (
          <div class="runs-table-wrap">
            <CardTable class="runs-table">
              <caption class="visually-hidden">Runs, newest first</caption>
              <CardHead>
                <CardRow>
                  <ColumnHeader class="runs-table__select">
                    <span class="visually-hidden">Compare</span>
                  </ColumnHeader>
                  <ColumnHeader>State</ColumnHeader>
                  <ColumnHeader>Pipeline</ColumnHeader>
                  <ColumnHeader>Run</ColumnHeader>
                  <ColumnHeader>Trigger</ColumnHeader>
                  <ColumnHeader>Created</ColumnHeader>
                  <ColumnHeader class="num">
                    Duration
                  </ColumnHeader>
                  <ColumnHeader>Warnings, errors</ColumnHeader>
                </CardRow>
              </CardHead>
              <CardBody>
                {runs.map((run) => (
                  <RunRow key={run.id} run={run} now={clock} selected={selected.includes(run.id)} onSelect={select} />
                ))}
              </CardBody>
            </CardTable>
          </div>
        )
      )}
      {!status.done && (runs.length > 0 || status.scanned > 0) && (
        <div class="runs-more">
          <button type="button" class="button" disabled={status.loading} onClick={() => void list.loadMore()}>
            {status.loading ? "Loading…" : "Load more"}
          </button>
          {status.filtering && <span class="muted">Each step looks through up to {SCAN_STEP.toLocaleString()} runs.</span>}
        </div>
      )}
    </section>
  );
}
