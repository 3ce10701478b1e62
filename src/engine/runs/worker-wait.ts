/**
 * A task for a worker waits here for one with its labels and room for its
 * resources. Why it waits is told each time it changes; the task's timeout
 * counts from here (what is left of it goes to the worker: `waitedMs`), and
 * a stop ends the wait through the abort it finds in `placing` under the task's path.
 */
import type { AttemptReport, LaunchSpec, Placed, Placement } from "../../exec/port.js";
import { formatDuration } from "../../files/format.js";
import type { PlannedNode } from "../../plan/types.js";
import type { TaskRequest } from "../resources/reservations.js";

export async function waitForWorker(
  placement: Placement | undefined,
  node: PlannedNode,
  need: TaskRequest,
  placing: Map<string, AbortController>,
  waiting: (reason: string) => void,
): Promise<{ placed: Placed; waitedMs: number } | { ended: PlacementEnded }> {
  const labels = node.runsOn!;
  if (!placement) return { ended: new PlacementEnded("failed", `not started: runs_on: [${labels.join(", ")}] names labels this machine lacks, and no worker runs tasks here (only an engine takes workers: spire engine, then spire worker on the other machine)`) };
  const abort = new AbortController();
  placing.set(node.path, abort);
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
    placing.delete(node.path);
  }
}

/**
 * A launch on the worker the wait found: the artifacts the engine cannot
 * collect or place there itself, and what is left of the task's timeout
 * after the wait. Returns what the attempt's report becomes: a timeout says
 * it as the user set it, and how much of it went to waiting.
 */
export function launchOnWorker(spec: LaunchSpec, waitedMs: number, artifacts: NonNullable<LaunchSpec["artifacts"]>): (report: AttemptReport) => AttemptReport {
  const full = spec.timeoutMs;
  const waited = Math.round(waitedMs);
  spec.artifacts = artifacts;
  if (full === undefined || waited <= 0) return (report) => report;
  spec.timeoutMs = Math.max(1, full - waited);
  return (report) => (report.state === "timed_out" ? { ...report, reason: `timed out after ${formatDuration(full)} (${formatDuration(waited)} of it waiting for a worker)` } : report);
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
