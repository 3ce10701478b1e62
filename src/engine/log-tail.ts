/**
 * Live log lines for whoever follows a run (SSE, `spire logs -f`): while a
 * run has followers, the log files of its tasks are read from where the last
 * read stopped, a few times a second. Costs nothing when nobody follows, and
 * follows the files, so it works the same whoever spawned the tasks.
 */
import { readLog } from "../exec/log-file.js";
import type { Store } from "../store/port.js";
import type { EventBus } from "./event-bus.js";

const TICK_MS = 200;

interface Tail {
  followers: number;
  offsets: Map<string, number>;
  timer: NodeJS.Timeout;
  reading: boolean;
}

export class LogTailer {
  private readonly tails = new Map<string, Tail>();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly isActive: (runId: string) => boolean,
  ) {}

  /** Starts (or joins) following a run's logs; returns the function that stops. */
  follow(runId: string): () => void {
    let tail = this.tails.get(runId);
    if (!tail) {
      tail = { followers: 0, offsets: new Map(), reading: false, timer: setInterval(() => void this.read(runId), TICK_MS) };
      tail.timer.unref();
      this.tails.set(runId, tail);
      void this.read(runId);
    }
    tail.followers++;
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--tail.followers === 0) this.stop(runId);
    };
  }

  private stop(runId: string): void {
    const tail = this.tails.get(runId);
    if (tail) clearInterval(tail.timer);
    this.tails.delete(runId);
  }

  private async read(runId: string): Promise<void> {
    const tail = this.tails.get(runId);
    if (!tail || tail.reading) return;
    tail.reading = true;
    try {
      const active = this.isActive(runId);
      const stored = await this.store.getRun(runId);
      for (const row of stored?.tasks ?? []) {
        if (!row.log_file) continue;
        const key = `${row.path}#${row.attempt}`;
        const offset = tail.offsets.get(key) ?? 0;
        const page = await readLog(row.log_file, { offset });
        if (page.endOffset !== offset) tail.offsets.set(key, page.endOffset);
        for (const line of page.lines) this.bus.publish(runId, { kind: "log", run_id: runId, task: row.path, line });
      }
      // One last read after the run ended has delivered everything: stop polling.
      if (!active) clearInterval(tail.timer);
    } catch {
      // A log that cannot be read now is read at the next tick.
    } finally {
      tail.reading = false;
    }
  }
}
