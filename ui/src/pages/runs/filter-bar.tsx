/** The runs page's filters; each change goes into the URL (replacing the history entry), which reloads the list. */
import { useEffect, useState } from "preact/hooks";
import { RUN_STATES } from "../../api/types";
import { stateLabel } from "../../components/state-badge";
import { setQuery } from "../../router/router";
import { hasFilters, TRIGGER_KINDS, type RunFilters } from "./filters";

interface FilterBarProps {
  filters: RunFilters;
  /** "ns/name" of every pipeline the engine has, for suggestions. */
  pipelines: string[];
  utc: boolean;
}

export function FilterBar({ filters, pipelines, utc }: FilterBarProps) {
  // What is typed, until it is applied (a re-render from a live update must not undo it).
  const [draft, setDraft] = useState(filters.pipeline);
  useEffect(() => setDraft(filters.pipeline), [filters.pipeline]);
  return (
    <form class="filters runs-filters" role="search" aria-label="Runs" onSubmit={(event) => event.preventDefault()}>
      <div class="filters__field filters__field--search">
        <label for="runs-pipeline">Pipeline</label>
        <input
          id="runs-pipeline"
          type="search"
          list="runs-pipelines"
          value={draft}
          onInput={(event) => setDraft(event.currentTarget.value)}
          placeholder="namespace/name, or a name"
          autoComplete="off"
          spellcheck={false}
          // Applied when the field is left or Enter is pressed, not at every key (each change reads the list again).
          onChange={(event) => setQuery({ pipeline: event.currentTarget.value.trim() })}
          onKeyDown={(event) => {
            if (event.key === "Enter") setQuery({ pipeline: event.currentTarget.value.trim() });
          }}
        />
        <datalist id="runs-pipelines">
          {pipelines.map((pipeline) => (
            <option key={pipeline} value={pipeline} />
          ))}
        </datalist>
      </div>
      <div class="filters__field">
        <label for="runs-state">State</label>
        <select id="runs-state" value={filters.state} onChange={(event) => setQuery({ state: event.currentTarget.value })}>
          <option value="">any</option>
          {RUN_STATES.map((state) => (
            <option key={state} value={state}>
              {stateLabel(state)}
            </option>
          ))}
        </select>
      </div>
      <div class="filters__field">
        <label for="runs-trigger">Trigger</label>
        <select id="runs-trigger" value={filters.trigger} onChange={(event) => setQuery({ trigger: event.currentTarget.value })}>
          <option value="">any</option>
          {TRIGGER_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {kind}
            </option>
          ))}
          {filters.trigger && !(TRIGGER_KINDS as readonly string[]).includes(filters.trigger) && <option value={filters.trigger}>{filters.trigger}</option>}
        </select>
      </div>
      <div class="filters__dates">
        <div class="filters__field">
          <label for="runs-from">From</label>
          <input id="runs-from" type="date" value={filters.from} max={filters.to || undefined} onChange={(event) => setQuery({ from: event.currentTarget.value })} aria-describedby="runs-dates-hint" />
        </div>
        <div class="filters__field">
          <label for="runs-to">To</label>
          <input id="runs-to" type="date" value={filters.to} min={filters.from || undefined} onChange={(event) => setQuery({ to: event.currentTarget.value })} aria-describedby="runs-dates-hint" />
        </div>
        <p id="runs-dates-hint" class="filters__hint muted">
          Days in {utc ? "UTC" : "your time zone"}, both included.
        </p>
      </div>
      {hasFilters(filters) && (
        <button type="button" class="button button--quiet" onClick={() => setQuery({ pipeline: "", state: "", trigger: "", from: "", to: "" })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
