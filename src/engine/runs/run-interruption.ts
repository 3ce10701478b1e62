/**
 * A run that cannot go on ends "interrupted": each of its tasks still
 * pending or running is interrupted with the reason, then the run. The
 * engine's start does this for the runs a dead engine left (recovery), and
 * a run's controller for its own run when something other than the store
 * stopped it (a fault of the engine's own): the run is then not shown as
 * running until the next start, and can be retried at once.
 */
import type { EventRow, StateChange, Store, TaskRunRow } from "../../store/port.js";

export function taskInterrupted(task: TaskRunRow, why: string, now: number): StateChange {
  return {
    event: { run_id: task.run_id, ts: now, type: "task.interrupted", task_path: task.path, attempt: task.attempt, data: { reason: why } },
    task: { ...task, state: "interrupted", reason: why, finished_at: now },
  };
}

export function runInterrupted(runId: string, reason: string, now: number): StateChange {
  return {
    event: { run_id: runId, ts: now, type: "run.finished", task_path: null, attempt: null, data: { state: "interrupted", reason } },
    run: { id: runId, state: "interrupted", reason, finished_at: now },
  };
}

/** Ends the stored run as interrupted, unless it has ended already; the events written (none when it had ended). */
export async function interruptStoredRun(store: Pick<Store, "getRun" | "write">, runId: string, reason: string, now: number): Promise<EventRow[]> {
  const stored = await store.getRun(runId);
  if (!stored || !["queued", "running"].includes(stored.run.state)) return [];
  const unfinished = stored.tasks.filter((task) => task.state === "running" || task.state === "pending");
  return store.write([...unfinished.map((task) => taskInterrupted(task, reason, now)), runInterrupted(runId, reason, now)]);
}

/**
 * The controller's case: once the attempts it stopped have ended and what
 * follows their ends has (their artifacts kept, their ends written: `busy`
 * says whether anything is still under way, looked at until nothing is for
 * a whole turn), the run ends interrupted. False when the store fails then:
 * the next start carries the run on.
 */
export async function interruptAfter(
  stopped: Promise<unknown>[],
  settled: () => Promise<unknown>,
  busy: () => boolean,
  deps: { store: Pick<Store, "getRun" | "write">; publish?: (events: EventRow[]) => void; runId: string; reason: string; now: () => number },
): Promise<boolean> {
  await Promise.allSettled(stopped);
  for (let looks = 0; looks < MOST_LOOKS; looks++) {
    // Ends go to the artifacts' queue in callbacks of a turn, and to the store once through it; an attempt still starting
    // (its start being written) ends as canceled once that write is answered.
    await new Promise((resolve) => setImmediate(resolve));
    await settled();
    await new Promise((resolve) => setTimeout(resolve, busy() ? BUSY_WAIT_MS : 0));
    if (!busy()) break;
  }
  try {
    const events = await interruptStoredRun(deps.store, deps.runId, deps.reason, deps.now());
    deps.publish?.(events);
    return true;
  } catch {
    return false; // the store fails now too: the engine's next start carries the run on, as after a store failure
  }
}

/** How long the interruption waits for writes under way, at most (then it is written all the same: interruptStoredRun ends what is left). */
const MOST_LOOKS = 100;
const BUSY_WAIT_MS = 20;
