/**
 * The home page's filters, read from and written to the query string
 * (?q=&ns=&last=&paused=), so a filtered view is a link like any other.
 */
import type { PipelineSummary, RunState } from "../../api/types";

export interface PipelineFilters {
  /** Words that must all appear in the namespace, name or description. */
  q: string;
  ns: string;
  /** The last run's state, or "never" for pipelines that never ran. */
  last: RunState | "never" | "";
  paused: "yes" | "no" | "";
}

export function filtersFrom(query: URLSearchParams): PipelineFilters {
  const paused = query.get("paused");
  return {
    q: query.get("q") ?? "",
    ns: query.get("ns") ?? "",
    last: (query.get("last") ?? "") as PipelineFilters["last"],
    paused: paused === "yes" || paused === "no" ? paused : "",
  };
}

export function hasFilters(filters: PipelineFilters): boolean {
  return filters.q !== "" || filters.ns !== "" || filters.last !== "" || filters.paused !== "";
}

/** A test for each pipeline; `lastState` gives the freshest known state of its last run (asked only when that filter is on). */
export function pipelineMatcher(filters: PipelineFilters, lastState: (pipeline: PipelineSummary) => RunState | undefined): (pipeline: PipelineSummary) => boolean {
  const words = filters.q.toLowerCase().split(/\s+/).filter(Boolean);
  return (pipeline) => {
    if (filters.ns && pipeline.namespace !== filters.ns) return false;
    if (filters.paused && pipeline.paused !== (filters.paused === "yes")) return false;
    if (filters.last) {
      const last = lastState(pipeline);
      if (filters.last === "never" ? last !== undefined : last !== filters.last) return false;
    }
    if (words.length > 0) {
      const haystack = `${pipeline.namespace}/${pipeline.name} ${pipeline.description ?? ""}`.toLowerCase();
      if (!words.every((word) => haystack.includes(word))) return false;
    }
    return true;
  };
}
