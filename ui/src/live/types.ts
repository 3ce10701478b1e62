/** What the engine-wide event stream (GET /api/v1/events) sends. */
import type { WorkerInfo } from "../api/types";

/** A stored run event: `event:` is its type, `id:` its seq. */
export interface RunEvent {
  seq: number;
  run_id: string;
  /** Epoch ms. */
  ts: number;
  /** run.created, run.started, task.started, task.finished, task.interrupted, run.finished, … (treat unknown ones generically). */
  type: string;
  task_path: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
  /** The run's pipeline, when the engine says so (not every version does: look the run up otherwise). */
  namespace?: string;
  pipeline?: string;
}

/** `event: pipelines`: definitions or paused states changed. */
export interface PipelinesChange {
  /** apply, pipeline.delete, pipeline.pause, pipeline.resume, … */
  action: string;
  target: string;
}

/** What a subscriber gets: everything since the last batch, in order of arrival. */
export interface LiveBatch {
  events: RunEvent[];
  pipelines: PipelinesChange[];
  /** `event: missed` payloads (slots of time triggers that did not run). */
  missed: unknown[];
  /** `event: workers` payloads: a worker registered, came back or was lost (as GET /workers shows it), in order. */
  workers: WorkerInfo[];
  /**
   * Events may have been lost (the stream was down, the engine said reset,
   * or too many piled up while held): reload whatever the page shows.
   */
  resync: boolean;
}
