/**
 * Every attempt of every task, read from the run's stored events (the run
 * object gives only each task's last attempt): when it started and ended,
 * how, and the delay before a retry. Events come from two places (the
 * run's own event stream, and the engine-wide live stream); each is taken
 * once, by its seq.
 */
import type { TaskRun, TaskState } from "../../api/types";
import type { RunEvent } from "../../live/types";

export interface Attempt {
  attempt: number;
  state: TaskState;
  /** Epoch ms; null for a task that ended without running (skipped, canceled while waiting). */
  startedAt: number | null;
  finishedAt: number | null;
  exitCode: number | null;
  reason: string | null;
  /** The command as the engine ran it (secrets masked). */
  argv: string[] | null;
  /** Set when the engine scheduled another attempt after this one, this long after its end. */
  retryDelayMs: number | null;
  /** Kept from an earlier run by a retry, not run again. */
  keptFrom: string | null;
}

const TASK_END_TYPES = new Set(["task.skipped", "task.canceled", "task.interrupted", "task.timed_out", "task.failed", "task.succeeded"]);

export class AttemptLog {
  private readonly seen = new Set<number>();
  readonly byTask = new Map<string, Attempt[]>();
  runStartedAt: number | null = null;
  runFinishedAt: number | null = null;
  /** The highest seq taken. */
  lastSeq = 0;

  /** Takes the events not seen yet; true when anything changed. */
  add(events: readonly RunEvent[]): boolean {
    let changed = false;
    for (const event of events) {
      if (this.seen.has(event.seq)) continue;
      this.seen.add(event.seq);
      this.lastSeq = Math.max(this.lastSeq, event.seq);
      changed = this.apply(event) || changed;
    }
    return changed;
  }

  attemptsOf(path: string): readonly Attempt[] {
    return this.byTask.get(path) ?? [];
  }

  private slot(path: string, number: number): Attempt {
    let list = this.byTask.get(path);
    if (!list) this.byTask.set(path, (list = []));
    let attempt = list.find((entry) => entry.attempt === number);
    if (!attempt) {
      attempt = { attempt: number, state: "pending", startedAt: null, finishedAt: null, exitCode: null, reason: null, argv: null, retryDelayMs: null, keptFrom: null };
      list.push(attempt);
      list.sort((a, b) => a.attempt - b.attempt);
    }
    return attempt;
  }

  private apply(event: RunEvent): boolean {
    const data = event.data ?? {};
    if (event.type === "run.started") {
      this.runStartedAt = event.ts;
      return true;
    }
    if (event.type === "run.finished") {
      this.runFinishedAt = event.ts;
      return true;
    }
    const path = event.task_path;
    if (!path) return false;
    const number = event.attempt ?? 1;
    switch (event.type) {
      case "task.started": {
        const attempt = this.slot(path, number);
        attempt.startedAt = event.ts;
        if (attempt.finishedAt === null) attempt.state = "running";
        attempt.argv = Array.isArray(data.argv) ? (data.argv as unknown[]).map(String) : null;
        return true;
      }
      case "task.finished": {
        const attempt = this.slot(path, number);
        attempt.finishedAt = event.ts;
        attempt.state = (typeof data.state === "string" ? data.state : "failed") as TaskState;
        attempt.exitCode = typeof data.exit_code === "number" ? data.exit_code : null;
        attempt.reason = typeof data.reason === "string" ? data.reason : null;
        return true;
      }
      case "task.retry_scheduled": {
        const attempt = this.slot(path, number);
        attempt.retryDelayMs = typeof data.delay_ms === "number" ? data.delay_ms : 0;
        return true;
      }
      case "task.kept": {
        const attempt = this.slot(path, number);
        attempt.state = "succeeded";
        attempt.keptFrom = typeof data.from_run === "string" ? data.from_run : null;
        attempt.startedAt ??= event.ts;
        attempt.finishedAt ??= event.ts;
        return true;
      }
      default: {
        if (!TASK_END_TYPES.has(event.type)) return false;
        // Ended without (another) attempt: skipped, or canceled while it waited (for its turn, or for a retry).
        const state = event.type.slice(5) as TaskState;
        const list = this.byTask.get(path) ?? [];
        const last = list[list.length - 1];
        const target = last && last.finishedAt === null && last.startedAt !== null ? last : last && last.finishedAt !== null ? this.slot(path, last.attempt + 1) : this.slot(path, number);
        target.state = state;
        target.finishedAt = event.ts;
        target.reason = typeof data.reason === "string" ? data.reason : target.reason;
        return true;
      }
    }
  }
}

/**
 * The attempts with the run object's own times on the attempt it describes
 * (its last): those are the times the engine recorded for the attempt, the
 * events' times are when they were written, a few milliseconds later.
 */
export function withRecordedTimes(attempts: readonly Attempt[], task: TaskRun): Attempt[] {
  return attempts.map((attempt) =>
    attempt.attempt === task.attempts && task.started_at !== null && attempt.keptFrom === null
      ? { ...attempt, startedAt: Date.parse(task.started_at), finishedAt: task.finished_at !== null ? Date.parse(task.finished_at) : attempt.finishedAt }
      : attempt,
  );
}
