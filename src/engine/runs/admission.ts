/**
 * What happens to a new run of a pipeline, given what is running and
 * waiting: the pipeline's concurrency and queue policy (SPEC §2). Pure.
 *
 * - room to run and nobody waiting → start;
 * - otherwise wait, if the queue (or the run's partition) has a place;
 * - queue full: `append` refuses the newcomer, `replace` lets it take the
 *   last waiting place (that run is skipped), `preempt` cancels the oldest
 *   running run and lets the newcomer wait for its place;
 * - `limit: 0` refuses whenever the pipeline is busy.
 */
import type { PipelineDef } from "../../definitions/schema.js";

export interface QueueView {
  /** How many runs run, and the oldest of them (what preempt cancels): not a list, which would cost an admission as many as run. */
  running: { count: number; oldest: string | undefined };
  waiting: { id: string; partition: string | null }[];
}

export type Admission =
  | { action: "start" }
  | { action: "wait"; replaces?: string }
  | { action: "preempt"; cancels: string }
  | { action: "refuse"; reason: string };

export function admit(pipeline: Pick<PipelineDef, "concurrency" | "queue" | "debounce">, view: QueueView, partition: string | null): Admission {
  const { limit, strategy, partition_limit: partitionLimit } = pipeline.queue;
  const debounced = pipeline.debounce !== undefined && pipeline.debounce > 0;
  if (!debounced && view.running.count < pipeline.concurrency && view.waiting.length === 0) return { action: "start" };

  const sameQueue = partitionLimit === undefined ? view.waiting : view.waiting.filter((run) => run.partition === partition);
  const places = partitionLimit === undefined ? limit : partitionLimit;
  if (debounced && sameQueue.length > 0) {
    // Within the debounce window newer triggers coalesce: the newest replaces the one waiting.
    return { action: "wait", replaces: sameQueue[sameQueue.length - 1]!.id };
  }
  // A debounced run waits even when nothing runs: its wait is the debounce, not a queue place.
  if (debounced && view.running.count < pipeline.concurrency && view.waiting.length === 0) return { action: "wait" };
  if (sameQueue.length < places) return { action: "wait" };
  const where = partitionLimit === undefined ? "" : ` for partition ${JSON.stringify(partition)}`;
  if (places === 0 && strategy !== "preempt") return { action: "refuse", reason: `a run is in progress and the queue takes no waiting runs (queue.limit: 0)` };
  switch (strategy) {
    case "append":
      return { action: "refuse", reason: `the queue is full${where}: ${sameQueue.length} of ${places} places taken (strategy append)` };
    case "replace":
      return places === 0 ? { action: "refuse", reason: "the queue takes no waiting runs" } : { action: "wait", replaces: sameQueue[sameQueue.length - 1]!.id };
    case "preempt": {
      const { oldest } = view.running;
      return oldest !== undefined ? { action: "preempt", cancels: oldest } : { action: "wait" };
    }
  }
}
