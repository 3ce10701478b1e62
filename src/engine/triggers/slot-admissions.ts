/**
 * Scheduled runs, once their slots are claimed, admitted a chunk per turn of
 * the event loop, in claim order: together, so that their store writes share
 * commits (the store batches what is asked in one turn), and few enough that
 * a thousand runs starting at once never hold up a timer for long. The chunk
 * is sized by what the last one cost: a turn should take about ADMIT_TURN_MS
 * (a run with no process to start costs ~0.25 ms, one that spawns several
 * times that).
 *
 * Not tried again: runs with tasks first (claimed first at an instant, or
 * admitted ahead of runs with none). It starts a busy second's processes
 * sooner (bench/fire --preset realistic), but puts their cost in a burst at
 * the slot, and at 2,000 slots a second on two busy vCPUs (bench/fire's
 * heavy preset) the engine then fell behind and missed slots: 2,420, 495
 * and 0 in three rounds against 0, 198 and 0 in turn (docs/performance.md).
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
  private readonly queued: Claimed[] = [];
  private admitting = false;
  /** Runs admitted per turn, adjusted to what a turn costs. */
  private chunk = 8;

  constructor(private readonly deps: SlotAdmissionsDeps) {}

  /** Queues a claimed run (resume() admits it). */
  add(run: SlotRun, event: EventRow): void {
    this.queued.push({ run, event });
  }

  /** Admits what is queued, unless it is being admitted already. */
  resume(): void {
    if (!this.admitting && this.queued.length > 0) void this.admitQueued();
  }

  /** Admits everything queued at once (an engine that no longer leads starts the slots it claimed). */
  async admitAll(): Promise<void> {
    await Promise.all(this.queued.splice(0).map((next) => this.admit(next)));
  }

  private admit(next: Claimed): Promise<void> {
    return next.run.admit(next.event).catch((error: Error) => this.deps.warn("a scheduled run could not be started", { run: next.event.run_id, error: error.message }));
  }

  private async admitQueued(): Promise<void> {
    this.admitting = true;
    try {
      while (!this.deps.stopped() && this.queued.length > 0) {
        this.deps.lookIfDue();
        const chunk = this.queued.splice(0, this.chunk);
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
