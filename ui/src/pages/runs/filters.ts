/**
 * The runs page's filters, kept in the query string (?pipeline=ns/name
 * &state=failed&trigger=cron&from=2026-05-01&to=2026-05-07), so a filtered
 * list is a link. Dates are whole days in the zone the UI shows times in
 * (local or UTC), both ends included.
 */
import { RUN_STATES, type RunState, type RunSummary } from "../../api/types";

export interface RunFilters {
  /** "ns/name", or a bare name (that name in any namespace). */
  pipeline: string;
  state: RunState | "";
  trigger: string;
  /** YYYY-MM-DD, or "". */
  from: string;
  to: string;
}

export const TRIGGER_KINDS = ["manual", "cron", "every", "at", "watch", "webhook", "after", "retry"] as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFrom(query: URLSearchParams): RunFilters {
  const state = query.get("state") ?? "";
  const day = (key: string) => {
    const value = query.get(key) ?? "";
    return DAY.test(value) ? value : "";
  };
  return {
    pipeline: (query.get("pipeline") ?? "").trim(),
    state: (RUN_STATES as readonly string[]).includes(state) ? (state as RunState) : "",
    trigger: (query.get("trigger") ?? "").trim(),
    from: day("from"),
    to: day("to"),
  };
}

export function hasFilters(filters: RunFilters): boolean {
  return Object.values(filters).some((value) => value !== "");
}

export function splitPipeline(pipeline: string): { namespace?: string; name?: string } {
  if (!pipeline) return {};
  const slash = pipeline.indexOf("/");
  return slash < 0 ? { name: pipeline } : { namespace: pipeline.slice(0, slash) || undefined, name: pipeline.slice(slash + 1) || undefined };
}

/** The first instant of a day (utc: in UTC, else in this browser's zone), in epoch ms. */
export function startOfDay(day: string, utc: boolean): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return utc ? Date.UTC(y, m - 1, d) : new Date(y, m - 1, d).getTime();
}

/** The first instant after a day. */
export function endOfDay(day: string, utc: boolean): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return utc ? Date.UTC(y, m - 1, d + 1) : new Date(y, m - 1, d + 1).getTime();
}

export interface TimeBounds {
  /** Runs created at or after this (epoch ms). */
  after?: number;
  /** Runs created before this. */
  before?: number;
}

export function boundsOf(filters: RunFilters, utc: boolean): TimeBounds {
  return {
    after: filters.from ? startOfDay(filters.from, utc) : undefined,
    before: filters.to ? endOfDay(filters.to, utc) : undefined,
  };
}

/** What the browser must still check of a run the engine sent (the filters the engine could not apply). */
export function clientMatcher(filters: RunFilters, bounds: TimeBounds, done: { trigger: boolean; dates: boolean; state: boolean }): (run: RunSummary) => boolean {
  return (run) => {
    if (!done.state && filters.state && run.state !== filters.state) return false;
    if (!done.trigger && filters.trigger && run.trigger.kind !== filters.trigger) return false;
    if (!done.dates) {
      const created = Date.parse(run.created_at);
      if (bounds.after !== undefined && created < bounds.after) return false;
      if (bounds.before !== undefined && created >= bounds.before) return false;
    }
    return true;
  };
}
