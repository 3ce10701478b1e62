/**
 * A task for a worker waits here for one with its labels and room for its
 * resources. Why it waits is told each time it changes; the task's timeout
 * counts from here (what is left of it goes to the worker: `waitedMs`), and
 * the caller's abort (a stop) ends the wait.
 */
import type { Placed, Placement } from "../../exec/port.js";
import { formatDuration } from "../../files/format.js";
import type { PlannedNode } from "../../plan/types.js";
import type { TaskRequest } from "../resources/reservations.js";

export async function waitForWorker(
  placement: Placement | undefined,
  node: PlannedNode,
  need: TaskRequest,
  abort: AbortController,
  waiting: (reason: string) => void,
): Promise<{ placed: Placed; waitedMs: number } | { ended: PlacementEnded }> {
  const labels = node.runsOn!;
  if (!placement) return { ended: new PlacementEnded("failed", `not started: runs_on: [${labels.join(", ")}] names labels this machine lacks, and no worker runs tasks here (only an engine takes workers: spire engine, then spire worker on the other machine)`) };
  const timeout = node.def.timeout;
  let lastReason = "";
  const since = performance.now();
  const timer = timeout === undefined ? undefined : setTimeout(() => abort.abort(new PlacementEnded("timed_out", `timed out after ${formatDuration(timeout)} waiting: ${lastReason}`)), timeout);
  try {
    const placed = await placement.place(labels, { cpus: need.cpus, memoryBytes: need.memoryBytes }, {
      signal: abort.signal,
      waiting: (reason) => {
        lastReason = reason;
        waiting(reason);
      },
    });
    return { placed, waitedMs: performance.now() - since };
  } catch (error) {
    return { ended: error instanceof PlacementEnded ? error : new PlacementEnded("failed", `not started: ${String(error)}`) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Why a wait for a worker ended without one: a stop, or the task's timeout. */
export class PlacementEnded extends Error {
  constructor(
    readonly state: "failed" | "canceled" | "timed_out",
    readonly reason: string,
  ) {
    super(reason);
  }
}
