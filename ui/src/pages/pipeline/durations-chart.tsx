/**
 * How long the last runs took: a bar per run, above the grid's columns
 * (same order, same width), in its state's colour, with the p50 (dashed)
 * and p95 (dotted) lines of those that succeeded. With a task's row under the pointer or the focus
 * it shows that task's durations instead of the run's.
 */
import type { Signal } from "@preact/signals";
import { stateLabel } from "../../components/state-badge";
import { shortRunId } from "../../format/run-id";
import { formatDuration } from "../../time/format";
import type { HistoryRun } from "./history";
import { spread } from "./percentile";

/** The width of a grid column, in px (the CSS says the same: --cell). */
export const CELL = 22;
const HEIGHT = 72;
const TOP = 6;

export function DurationsChart({ runs, focus }: { runs: HistoryRun[]; focus: Signal<string | undefined> }) {
  const path = focus.value;
  const columns = [...runs].reverse();
  const values = columns.map((run) => {
    if (path === undefined) return { value: run.summary.duration_ms, state: run.summary.state as string };
    const cell = run.cells?.get(path);
    return { value: cell?.duration_ms ?? null, state: cell?.state ?? "pending" };
  });
  // How long it takes when it works: the lines are of the succeeded ones (a run that failed early says little of that).
  const stats = spread(values.map((entry) => (entry.state === "succeeded" ? entry.value : null)));
  const subject = path === undefined ? "Each run" : path;
  const max = Math.max(0, ...values.map((entry) => entry.value ?? 0));
  const y = (value: number) => HEIGHT - (max > 0 ? (value / max) * (HEIGHT - TOP) : 0);
  const width = columns.length * CELL;
  const summary = stats
    ? `Durations of ${path === undefined ? "the last runs" : `task ${path} in the last runs`}: p50 ${formatDuration(stats.p50)}, p95 ${formatDuration(stats.p95)}, longest ${formatDuration(stats.max)}, of ${stats.count} that succeeded.`
    : `No ${path === undefined ? "run" : `run of task ${path}`} that succeeded to measure yet.`;

  return (
    <div class="history-chart">
      <div class="history-chart__label">
        <span class="history-chart__subject" title={subject}>
          {subject}
        </span>
        {stats ? (
          <>
            <span class="history-chart__line history-chart__line--p50">p50 {formatDuration(stats.p50)}</span>
            <span class="history-chart__line history-chart__line--p95">p95 {formatDuration(stats.p95)}</span>
          </>
        ) : (
          <span class="muted">none succeeded yet</span>
        )}
      </div>
      <svg class="history-chart__plot" width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={summary}>
        <line class="history-chart__axis" x1={0} x2={width} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} />
        {values.map((entry, index) => {
          if (entry.value === null) return null;
          const top = y(entry.value);
          const run = columns[index]!.summary;
          return (
            <rect key={run.id} class={`history-chart__bar state--${entry.state}`} x={index * CELL + 4} y={top} width={CELL - 8} height={Math.max(1, HEIGHT - top)}>
              <title>{`run ${shortRunId(run.id)}: ${formatDuration(entry.value)} (${stateLabel(entry.state)})`}</title>
            </rect>
          );
        })}
        {stats && (
          <>
            <line class="history-chart__p50" x1={0} x2={width} y1={y(stats.p50)} y2={y(stats.p50)} />
            <line class="history-chart__p95" x1={0} x2={width} y1={y(stats.p95)} y2={y(stats.p95)} />
          </>
        )}
      </svg>
    </div>
  );
}
