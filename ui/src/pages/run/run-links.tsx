/** The runs before and after this one of the same pipeline, and "compare with…" another. */
import { useEffect, useState } from "preact/hooks";
import { listRuns } from "../../api/runs";
import type { Run, RunSummary } from "../../api/types";
import { StateIcon } from "../../components/state-icon";
import { stateLabel } from "../../components/state-badge";
import { RelativeTime } from "../../components/time-label";
import { shortRunId } from "../../format/run-id";
import { paths } from "../../router/routes";

/** One page of the pipeline's newest runs is enough for the neighbours of a recent run; an older one gets no links rather than a search. */
const LOOK_AT = 100;

export function RunLinks({ run }: { run: Run }) {
  const [runs, setRuns] = useState<RunSummary[] | undefined>(undefined);
  useEffect(() => {
    const abort = new AbortController();
    listRuns({ namespace: run.namespace, pipeline: run.pipeline, limit: LOOK_AT, signal: abort.signal }).then(
      (page) => setRuns(page.runs),
      () => setRuns([]),
    );
    return () => abort.abort();
  }, [run.id, run.finished_at === null]);

  if (!runs) return null;
  const index = runs.findIndex((entry) => entry.id === run.id);
  // Newest first: the next run is the one before this in the list.
  const newer = index > 0 ? runs[index - 1] : undefined;
  const older = index >= 0 ? runs[index + 1] : undefined;
  const others = runs.filter((entry) => entry.id !== run.id).slice(0, 10);
  return (
    <nav class="run-links" aria-label="Other runs of this pipeline">
      {older ? (
        <a class="button button--small" href={paths.run(older.id)} rel="prev" aria-label={`Previous run, ${stateLabel(older.state)}, ${older.id}`}>
          ← Previous
        </a>
      ) : (
        <span class="button button--small button--disabled" aria-disabled="true">
          ← Previous
        </span>
      )}
      {newer ? (
        <a class="button button--small" href={paths.run(newer.id)} rel="next" aria-label={`Next run, ${stateLabel(newer.state)}, ${newer.id}`}>
          Next →
        </a>
      ) : (
        <span class="button button--small button--disabled" aria-disabled="true">
          Next →
        </span>
      )}
      {others.length > 0 && (
        <details
          class="menu"
          onKeyDown={(event) => {
            const menu = event.currentTarget as HTMLDetailsElement;
            if (event.key === "Escape" && menu.open) {
              menu.open = false;
              menu.querySelector("summary")?.focus();
            }
          }}
        >
          <summary class="button button--small">Compare with…</summary>
          <ul class="menu__list">
            {others.map((other) => (
              <li key={other.id}>
                <a href={paths.compare(run.id, other.id)}>
                  <span class={`state--${other.state} menu__state`}>
                    <StateIcon state={other.state} />
                  </span>
                  <span class="visually-hidden">{stateLabel(other.state)}</span>
                  <code>{shortRunId(other.id)}</code> <RelativeTime time={other.created_at} class="muted" />
                </a>
              </li>
            ))}
          </ul>
        </details>
      )}
    </nav>
  );
}
