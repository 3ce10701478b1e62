/** The engine's live event stream: stored events and log lines, to whoever listens (SSE, CLI followers). */
import type { MissedRow } from "../store/port.js";
import type { WorkerInfo } from "./service.js";
import type { LiveEvent } from "./service.js";

type Listener = (event: LiveEvent) => void;

/**
 * What happens to a pipeline outside any run: slots that did not run (SPEC
 * §2: the `missed` event), and definitions or paused states that changed
 * (`action` as in the audit log: apply, pipeline.delete, pipeline.pause,
 * pipeline.resume; `target` a namespace or namespace/name).
 */
export type PipelineEvent =
  | { kind: "missed"; missed: MissedRow }
  | { kind: "changed"; action: string; target: string }
  /** A worker registered, came back or was lost (GET /events `event: workers`). */
  | { kind: "worker"; worker: WorkerInfo };
type PipelineListener = (event: PipelineEvent) => void;

export class EventBus {
  private readonly byRun = new Map<string, Set<Listener>>();
  private readonly everything = new Set<Listener>();
  private readonly pipelineListeners = new Set<PipelineListener>();

  /** Pipeline events (notifications subscribe here); returns the unsubscribe function. */
  subscribePipelines(listener: PipelineListener): () => void {
    this.pipelineListeners.add(listener);
    return () => this.pipelineListeners.delete(listener);
  }

  publishPipeline(event: PipelineEvent): void {
    for (const listener of this.pipelineListeners) safely(listener, event);
  }

  subscribe(runId: string | null, listener: Listener): () => void {
    if (runId === null) {
      this.everything.add(listener);
      return () => this.everything.delete(listener);
    }
    let listeners = this.byRun.get(runId);
    if (!listeners) this.byRun.set(runId, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.byRun.delete(runId);
    };
  }

  hasListeners(runId: string): boolean {
    return this.everything.size > 0 || this.byRun.has(runId);
  }

  /** To the run's own followers only (see ForeignRuns). */
  publishToRun(runId: string, event: LiveEvent): void {
    for (const listener of this.byRun.get(runId) ?? []) safely(listener, event);
  }

  publish(runId: string, event: LiveEvent): void {
    for (const listener of this.byRun.get(runId) ?? []) safely(listener, event);
    for (const listener of this.everything) safely(listener, event);
  }
}

function safely<T>(listener: (event: T) => void, event: T): void {
  try {
    listener(event);
  } catch {
    // A listener's failure (a closed socket) must not stop the engine or other listeners.
  }
}
