/**
 * Scheduled runs, once their slots are claimed, admitted a chunk per turn of
 * the event loop: together, so that their store writes share commits (the
 * store batches what is asked in one turn), and few enough that a thousand
 * runs starting at once never hold up a timer for long. The chunk is sized
 * by what the last one cost: a turn should take about ADMIT_TURN_MS (a run
 * with no process to start costs ~0.25 ms, one that spawns several times
 * that).
 *
 * Runs with tasks go first, in claim order, ahead of runs with none still
 * waiting, even those claimed for an earlier slot: a run with no task starts
 * nothing whose lateness anyone sees, and when a second's slots take longer
 * than a second to admit (bench/fire --preset realistic on a busy machine)
 * the next second's processes would otherwise start behind them.
 */
import type { EventRow } from "../../store/port.js";
import type { SlotRun } from "./scheduler.js";

/** How long admitting may hold the event loop per turn, and the most runs per turn. */
const ADMIT_TURN_MS = 1;
const ADMIT_CHUNK_MAX = 64;

interface Claimed {
  run: SlotRun;
  event: EventRow;
}

export interface SlotAdmissionsDeps {
  /** Whether admitting should stop (the scheduler stopped): what is left stays queued in the store for the next start. */
  stopped(): boolean;
  /** Called at each turn: a timer due meanwhile fires between chunks, on time. */
  lookIfDue(): void;
  warn(message: string, details: object): void;
}

export class SlotAdmissions {
  private readonly withTasks: Claimed[] = [];
  private readonly withoutTasks: Claimed[] = [];
  private admitting = false;
  private chunk = 8;

  constructor(private readonly deps: SlotAdmissionsDeps) {}

  /** Queues a claimed run (resume() admits it). */
  add(run: SlotRun, event: EventRow, hasTasks: boolean): void {
    (hasTasks ? this.withTasks : this.withoutTasks).push({ run, event });
  }

  /** Admits what is queued, unless it is being admitted already. */
  resume(): void {
    if (!this.admitting && this.size > 0) void this.admitQueued();
  }

  /** Admits everything queued at once (an engine that no longer leads starts the slots it claimed). */
  async admitAll(): Promise<void> {
    await Promise.all(this.take(Infinity).map((next) => this.admit(next)));
  }

  private get size(): number {
    return this.withTasks.length + this.withoutTasks.length;
  }

  private take(count: number): Claimed[] {
    const first = this.withTasks.splice(0, count);
    return first.length < count ? first.concat(this.withoutTasks.splice(0, count - first.length)) : first;
  }

  private admit(next: Claimed): Promise<void> {
    return next.run.admit(next.event).catch((error: Error) => this.deps.warn("a scheduled run could not be started", { run: next.event.run_id, error: error.message }));
  }

  private async admitQueued(): Promise<void> {
    this.admitting = true;
    try {
      while (!this.deps.stopped() && this.size > 0) {
        this.deps.lookIfDue();
        const chunk = this.take(this.chunk);
        // The turn's length: until the loop next reaches its check phase (this runs there, before the yield below).
        const turnStart = performance.now();
        let turnMs = 0;
        setImmediate(() => (turnMs = performance.now() - turnStart));
        await Promise.all(chunk.map((next) => this.admit(next)));
        // Admitted within the turn (no I/O awaited): this is what they cost, without the rest of the turn's work.
        const admittedMs = performance.now() - turnStart;
        await new Promise<void>((resolve) => setImmediate(resolve));
        turnMs = Math.min(turnMs, admittedMs);
        if (turnMs > ADMIT_TURN_MS * 1.5) this.chunk = Math.max(1, this.chunk >> 1);
        else if (turnMs < ADMIT_TURN_MS / 2) this.chunk = Math.min(ADMIT_CHUNK_MAX, this.chunk + 1);
      }
    } finally {
      this.admitting = false;
    }
  }
}
