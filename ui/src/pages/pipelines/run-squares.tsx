/**
 * A pipeline's last runs as small squares, oldest to newest, each a link to
 * its run, named by its state and time. One tab stop for the whole strip
 * (arrow keys move along it), so a page of a thousand pipelines is not
 * twenty thousand tab stops.
 */
import { stateLabel } from "../../components/state-badge";
import { shortRunId } from "../../format/run-id";
import { paths } from "../../router/routes";
import { formatAbsolute, formatDuration, formatRelative } from "../../time/format";
import { minuteNow } from "../../time/now";
import { showUtc } from "../../time/zone-choice";
import { RECENT_RUNS, type ShownRun } from "./recent-runs";

/** The moment that says most about a run: when it ended, where known; else when it was made. */
function momentOf(run: ShownRun): { at: string; words: string } {
  if (run.finished_at) return { at: run.finished_at, words: "" };
  return { at: run.created_at, words: run.state === "queued" || run.state === "running" ? "since " : "made " };
}

function moveFocus(event: KeyboardEvent): void {
  const keys: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -1, ArrowDown: 1 };
  const strip = event.currentTarget as HTMLElement;
  const links = [...strip.querySelectorAll<HTMLAnchorElement>("a")];
  const index = links.indexOf(document.activeElement as HTMLAnchorElement);
  if (index < 0) return;
  let next: number;
  if (event.key === "Home") next = 0;
  else if (event.key === "End") next = links.length - 1;
  else if (event.key in keys) next = Math.min(links.length - 1, Math.max(0, index + keys[event.key]!));
  else return;
  event.preventDefault();
  links[index]!.tabIndex = -1;
  links[next]!.tabIndex = 0;
  links[next]!.focus();
}

export function RunSquares({ runs, pipeline }: { runs: ShownRun[] | undefined; pipeline: string }) {
  // Re-rendered once a minute (not at every tick of the clock), labelled with the time of the render.
  void minuteNow.value;
  const now = Date.now();
  const utc = showUtc.value;
  if (runs === undefined) return <div class="squares squares--loading" aria-hidden="true" />;
  if (runs.length === 0) return <p class="squares squares--none muted">No runs yet</p>;
  const oldestFirst = runs.slice(0, RECENT_RUNS).reverse();
  return (
    <div class="squares" role="group" aria-label={`Last ${oldestFirst.length} runs of ${pipeline}, oldest first`} onKeyDown={moveFocus}>
      {oldestFirst.map((run, index) => {
        const { at, words } = momentOf(run);
        const state = stateLabel(run.state);
        return (
          <a
            key={run.id}
            href={paths.run(run.id)}
            class={`sq state--${run.state}`}
            tabIndex={index === oldestFirst.length - 1 ? 0 : -1}
            aria-label={`run ${shortRunId(run.id)} ${state}, ${words}${formatRelative(at, now, utc)}`}
            title={`${run.id}: ${state}, ${words}${formatAbsolute(at, utc)}${run.duration_ms !== null ? `, took ${formatDuration(run.duration_ms)}` : ""}`}
          />
        );
      })}
    </div>
  );
}
