/** Typed calls for runs (docs/reference/api.md, "Runs"). */
import { get, segment } from "./client";
import type { Run, RunPage, RunState } from "./types";

export interface RunQuery {
  namespace?: string;
  pipeline?: string;
  status?: RunState;
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

export function listRuns(query: RunQuery = {}): Promise<RunPage> {
  const { signal, ...params } = query;
  return get<RunPage>("/runs", { query: { ...params }, signal });
}

export function getRun(id: string, signal?: AbortSignal): Promise<Run> {
  return get<Run>(`/runs/${segment(id)}`, { signal });
}
