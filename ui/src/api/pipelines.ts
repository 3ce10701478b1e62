/** Typed calls for pipelines (docs/reference/api.md, "Pipelines"). */
import { get, post, segment } from "./client";
import type { PipelineDetail, PipelineSummary, Run } from "./types";

const base = (ns: string, name: string) => `/pipelines/${segment(ns)}/${segment(name)}`;

/** `recent`: each pipeline's newest this many runs, in `recent` (read with the list, in one request). */
export async function listPipelines(options: { namespace?: string; recent?: number; signal?: AbortSignal } = {}): Promise<PipelineSummary[]> {
  const answer = await get<{ pipelines: PipelineSummary[] }>("/pipelines", { query: { namespace: options.namespace, recent: options.recent || undefined }, signal: options.signal });
  return answer.pipelines;
}

export function getPipeline(ns: string, name: string, signal?: AbortSignal): Promise<PipelineDetail> {
  return get<PipelineDetail>(base(ns, name), { signal });
}

/** 201 with the run; ApiError invalid_args (422, details name the arguments) or queue_full (409). */
export function startRun(ns: string, name: string, args: Record<string, unknown>): Promise<Run> {
  return post<Run>(`${base(ns, name)}/runs`, { args });
}

/** `reason`, when given, is shown with the pause until it is resumed. */
export function pausePipeline(ns: string, name: string, reason?: string): Promise<PipelineSummary> {
  return post<PipelineSummary>(`${base(ns, name)}/pause`, reason ? { reason } : undefined);
}

export function resumePipeline(ns: string, name: string): Promise<PipelineSummary> {
  return post<PipelineSummary>(`${base(ns, name)}/resume`);
}
