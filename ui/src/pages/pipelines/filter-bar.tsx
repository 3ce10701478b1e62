/** Search and filters of the home page; every change goes into the URL (replacing the history entry, not adding one per key). */
import { RUN_STATES } from "../../api/types";
import { stateLabel } from "../../components/state-badge";
import { setQuery } from "../../router/router";
import { hasFilters, type PipelineFilters } from "./filters";

export function FilterBar({ filters, namespaces, shown, total }: { filters: PipelineFilters; namespaces: string[]; shown: number; total: number }) {
  return (
    <form class="filters" role="search" aria-label="Pipelines" onSubmit={(event) => event.preventDefault()}>
      <div class="filters__field filters__field--search">
        <label for="filter-q">Search</label>
        <input id="filter-q" type="search" value={filters.q} placeholder="name or description" autoComplete="off" onInput={(event) => setQuery({ q: event.currentTarget.value })} />
      </div>
      {namespaces.length > 1 && (
        <div class="filters__field">
          <label for="filter-ns">Namespace</label>
          <select id="filter-ns" value={filters.ns} onChange={(event) => setQuery({ ns: event.currentTarget.value })}>
            <option value="">all</option>
            {namespaces.map((ns) => (
              <option key={ns} value={ns}>
                {ns}
              </option>
            ))}
          </select>
        </div>
      )}
      <div class="filters__field">
        <label for="filter-last">Last run</label>
        <select id="filter-last" value={filters.last} onChange={(event) => setQuery({ last: event.currentTarget.value })}>
          <option value="">any</option>
          {RUN_STATES.map((state) => (
            <option key={state} value={state}>
              {stateLabel(state)}
            </option>
          ))}
          <option value="never">never ran</option>
        </select>
      </div>
      <div class="filters__field">
        <label for="filter-paused">Triggers</label>
        <select id="filter-paused" value={filters.paused} onChange={(event) => setQuery({ paused: event.currentTarget.value })}>
          <option value="">any</option>
          <option value="no">active</option>
          <option value="yes">paused</option>
        </select>
      </div>
      <p class="filters__count" role="status">
        {shown === total ? `${total} ${total === 1 ? "pipeline" : "pipelines"}` : `${shown} of ${total} pipelines`}
      </p>
      {hasFilters(filters) && (
        <button type="button" class="button button--quiet" onClick={() => setQuery({ q: "", ns: "", last: "", paused: "" })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
