/** One pipeline on the home page: what starts it, when next, how its last runs went, and what can be done with it. */
import { memo } from "../../components/memo";
import type { PipelineSummary } from "../../api/types";
import { StateBadge } from "../../components/state-badge";
import { RelativeTime } from "../../components/time-label";
import { paths } from "../../router/routes";
import { StartFacts } from "./start-facts";
import { PausedNote } from "./paused-note";
import { keyOf, type RecentRuns } from "./recent-runs";
import { RunSquares } from "./run-squares";

export type RowAction = "run" | "pause" | "resume";

interface PipelineRowProps {
  pipeline: PipelineSummary;
  recent: RecentRuns;
  canRun: boolean;
  onAction: (action: RowAction, pipeline: PipelineSummary) => void;
}

function PipelineRowView({ pipeline, recent, canRun, onAction }: PipelineRowProps) {
  const key = keyOf(pipeline.namespace, pipeline.name);
  const runs = recent.listOf(key).value;
  const label = `${pipeline.namespace}/${pipeline.name}`;
  const titleId = `p-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const newest = runs?.[0];
  const last = newest ? { state: newest.state, at: newest.finished_at ?? newest.created_at } : pipeline.last_run ? { state: pipeline.last_run.state, at: pipeline.last_run.finished_at } : undefined;
  // The engine's own words for each trigger; the clocks' change before the next fire time, where the engine found one.

  return (
    <article class={`pipeline${pipeline.paused ? " pipeline--paused" : ""}`} aria-labelledby={titleId}>
      <div class="pipeline__head">
        <h3 id={titleId} class="pipeline__name">
          <a href={paths.pipeline(pipeline.namespace, pipeline.name)}>{pipeline.name}</a>
        </h3>
        <PausedNote pipeline={pipeline} />
        {canRun && (
          <div class="pipeline__actions">
            <button type="button" class="button button--small" aria-label={`Run ${label}…`} onClick={() => onAction("run", pipeline)}>
              Run…
            </button>
            {pipeline.paused ? (
              <button type="button" class="button button--small" aria-label={`Resume ${label}…`} onClick={() => onAction("resume", pipeline)}>
                Resume…
              </button>
            ) : (
              <button type="button" class="button button--small" aria-label={`Pause ${label}…`} onClick={() => onAction("pause", pipeline)}>
                Pause…
              </button>
            )}
          </div>
        )}
      </div>
      {pipeline.description && <p class="pipeline__description">{pipeline.description}</p>}
      <dl class="pipeline__facts">
        <StartFacts pipeline={pipeline} />
        <div>
          <dt>Last</dt>
          <dd>
            {last ? (
              <>
                <StateBadge state={last.state} /> {last.at && <RelativeTime time={last.at} class="muted" />}
              </>
            ) : (
              "never ran"
            )}
          </dd>
        </div>
      </dl>
      <RunSquares runs={runs} pipeline={label} />
    </article>
  );
}

/** Rows re-render on their own signals (runs, clock, UTC choice), not when the page's list is filtered. */
export const PipelineRow = memo(PipelineRowView);
