/** The calls the run page makes (docs/reference/api.md, "Runs"), beyond getRun in api/runs.ts. */
import { ApiError } from "../../api/api-error";
import { apiUrl, get, post, segment } from "../../api/client";
import type { Run } from "../../api/types";
import type { RunEvent } from "../../live/types";

export interface Artifact {
  task: string;
  name: string;
  size: number;
  url: string;
}

export async function getRunDefinition(id: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const answer = await get<{ definition: Record<string, unknown> }>(`/runs/${segment(id)}/definition`, { signal });
  return answer.definition;
}

export async function listArtifacts(id: string, signal?: AbortSignal): Promise<Artifact[]> {
  const answer = await get<{ artifacts: Artifact[] }>(`/runs/${segment(id)}/artifacts`, { signal });
  return answer.artifacts;
}

export function cancelRun(id: string): Promise<Run> {
  return post<Run>(`/runs/${segment(id)}/cancel`);
}

/** Answers with the new run. */
export function retryRun(id: string, from?: string): Promise<Run> {
  return post<Run>(`/runs/${segment(id)}/retry`, from === undefined ? {} : { from });
}

/**
 * The run's stored events from the start (GET /runs/{id}/events?logs=none),
 * handed over as they arrive; the stream ends by itself after run.finished,
 * and stays open while the run goes on. This is where each attempt's times,
 * exit code and reason come from: the run object gives the last attempt's
 * only. Resolves when the stream ends; rejects with an ApiError.
 */
export async function readRunEvents(id: string, onEvents: (events: RunEvent[]) => void, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(apiUrl(`/runs/${segment(id)}/events`, { logs: "none" }), { credentials: "same-origin", headers: { accept: "text/event-stream" }, signal });
  } catch (error) {
    if (signal.aborted) return;
    throw new ApiError("unreachable", "The engine is not answering. Is it running?", null, 0);
  }
  if (!response.ok || !response.body) throw new ApiError("error", `The run's events could not be read (HTTP ${response.status}).`, null, response.status);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const frames = buffer.split(/\r?\n\r?\n/);
      buffer = frames.pop() ?? "";
      const events: RunEvent[] = [];
      for (const frame of frames) {
        const data = frame
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5))
          .join("\n");
        if (!data) continue;
        try {
          const event = JSON.parse(data) as RunEvent;
          if (typeof event.seq === "number" && typeof event.type === "string") events.push(event);
        } catch {
          // A frame that is not an event row (a log line's shape, a comment): not ours.
        }
      }
      if (events.length > 0) onEvents(events);
    }
  } catch (error) {
    if (signal.aborted) return;
    throw new ApiError("unreachable", "The run's events stopped arriving.", null, 0);
  }
}
