/** One run in the runs table: state, pipeline, id, trigger, created, duration, warnings and errors; a checkbox to compare it. */
import type { RunSummary } from "../../api/types";
import { CardRow, Cell } from "../../components/card-table";
import { StateBadge } from "../../components/state-badge";
import { RelativeTime } from "../../components/time-label";
import { shortRunId } from "../../format/run-id";
import { paths } from "../../router/routes";
import { formatDuration } from "../../time/format";
import { triggerDetail } from "./trigger-label";

interface RunRowProps {
  run: RunSummary;
  now: number;
  selected: boolean;
  onSelect: (id: string, selected: boolean) => void;
}

/** How long it took, or has been taking (a running run counts up; a queued one waits). */
export function durationOf(run: RunSummary, now: number): { text: string; live: boolean } {
  if (run.duration_ms !== null) return { text: formatDuration(run.duration_ms), live: false };
  if (run.started_at && !run.finished_at) return { text: formatDuration(now - Date.parse(run.started_at)), live: true };
  return { text: "—", live: false };
}

/** Its warnings and errors, as the engine counted them when it ended. */
function CountsText({ counts }: { counts: Pick<RunSummary, "state" | "warnings" | "errors"> }) {
  if (counts.state === "queued" || counts.state === "running") return <span class="muted">counted when it ends</span>;
  if (counts.warnings === 0 && counts.errors === 0) return <span class="muted">none</span>;
  return (
    <span class="counts">
      {counts.warnings > 0 && (
        <span class="counts__warn">
          {counts.warnings} {counts.warnings === 1 ? "warning" : "warnings"}
        </span>
      )}
      {counts.errors > 0 && (
        <span class="counts__error">
          {counts.errors} {counts.errors === 1 ? "error" : "errors"}
        </span>
      )}
    </span>
  );
}

export function RunRow({ run, now, selected, onSelect }: RunRowProps) {
  const short = shortRunId(run.id);
  const duration = durationOf(run, now);
  const detail = triggerDetail(run.trigger);
  return (
    <CardRow class={selected ? "is-selected" : undefined}>
      <Cell class="runs-table__select">
        <input type="checkbox" checked={selected} aria-label={`Compare run ${short} of ${run.namespace}/${run.pipeline}`} onChange={(event) => onSelect(run.id, event.currentTarget.checked)} />
      </Cell>
      <Cell label="State">
        <StateBadge state={run.state} />
        {run.reason && (
          <span class="runs-table__reason muted" title={run.reason}>
            {run.reason}
          </span>
        )}
      </Cell>
      <Cell label="Pipeline">
        <a href={paths.pipeline(run.namespace, run.pipeline)}>
          <span class="muted">{run.namespace}/</span>
          {run.pipeline}
        </a>
      </Cell>
      <Cell label="Run">
        <a href={paths.run(run.id)} class="mono" title={run.id} aria-label={`run ${short}`}>
          {short}
        </a>
      </Cell>
      <Cell label="Trigger">
        {run.trigger.kind}
        {detail && <span class="muted"> {detail}</span>}
      </Cell>
      <Cell label="Created">
        <RelativeTime time={run.created_at} />
      </Cell>
      <Cell label="Duration" class={`num${duration.live ? " is-live" : ""}`}>
        {duration.text}
      </Cell>
      <Cell label="Warnings, errors">
        <CountsText counts={run} />
      </Cell>
    </CardRow>
  );
}
