/**
 * Runs that another process runs on the same store — a `spire run` in a
 * terminal while no engine is up — followed from this one: their stored
 * events are read every POLL_MS and handed to this engine's followers of
 * that run (and its cached object dropped), until the run has finished.
 * Only the run's own followers get them: notifications and the like belong
 * to the process that runs it.
 */
import type { EventRow, Store } from "../../store/port.js";

const POLL_MS = 200;
const PAGE = 500;
const FINISHED = new Set(["succeeded", "failed", "canceled", "skipped", "interrupted"]);

interface Watched {
  users: number;
  lastSeq: number;
  timer: NodeJS.Timeout | undefined;
  reading: boolean;
}

export interface ForeignRunsDeps {
  store: Pick<Store, "listEvents" | "getRun">;
  /** Hands stored events of a run to its followers. */
  deliver(runId: string, events: EventRow[]): void;
}

export class ForeignRuns {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly deps: ForeignRunsDeps) {}

  /** Starts following a run's stored events after `afterSeq` (once, however many ask); the returned function lets go. */
  watch(runId: string, afterSeq = 0): () => void {
    let entry = this.watched.get(runId);
    if (!entry) {
      entry = { users: 0, lastSeq: afterSeq, timer: undefined, reading: false };
      this.watched.set(runId, entry);
      const watched = entry;
      // Not unref'd: someone waits for this run's end (spire logs -f), and these reads are all that can bring it.
      watched.timer = setInterval(() => void this.read(runId, watched), POLL_MS);
      void this.read(runId, watched);
    }
    entry.users++;
    const owner = entry;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--owner.users > 0) return;
      clearInterval(owner.timer);
      if (this.watched.get(runId) === owner) this.watched.delete(runId);
    };
  }

  /** Still being read: its tasks may write more lines. */
  isActive(runId: string): boolean {
    return this.watched.get(runId)?.timer !== undefined;
  }

  private async read(runId: string, entry: Watched): Promise<void> {
    if (entry.reading || entry.timer === undefined) return;
    entry.reading = true;
    try {
      // The state is read before the events: once it says finished, the events read after it are all there will be.
      const stored = await this.deps.store.getRun(runId);
      for (;;) {
        const events = await this.deps.store.listEvents(runId, entry.lastSeq, PAGE);
        if (events.length > 0) {
          entry.lastSeq = events[events.length - 1]!.seq;
          this.deps.deliver(runId, events);
        }
        if (events.length < PAGE) break;
      }
      if (!stored || FINISHED.has(stored.run.state)) this.stop(entry);
    } catch {
      // Read again at the next tick.
    } finally {
      entry.reading = false;
    }
  }

  private stop(entry: Watched): void {
    clearInterval(entry.timer);
    entry.timer = undefined;
  }
}
