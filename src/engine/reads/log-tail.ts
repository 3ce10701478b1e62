/**
 * Live log lines for whoever follows a run (SSE, `spire run` following the
 * engine): while a run has followers, the log files of its tasks are read a
 * few times a second, each follower from where its own last read stopped. So
 * a follower that joins late still gets every line from the start (or only
 * what is captured from then on, if it asks), whoever else follows. Costs
 * nothing when nobody follows, and follows the files, so it works the same
 * whoever spawned the tasks.
 */
import { attemptLog, type AttemptLog, type LogReader } from "../../logs/port.js";
import type { Store } from "../../store/port.js";
import type { LiveLogLine } from "../service.js";

const TICK_MS = 200;
/** Lines read per file per pass and follower: a huge log is sent in slices, never read whole into memory. */
const LINES_PER_READ = 2_000;

/** `start`: every line from the beginning of each attempt's log; `now`: only lines captured after following began. */
export type LogsFrom = "start" | "now";

interface Follower {
  deliver: (line: LiveLogLine) => void;
  /** Byte offset read up to, by attempt (`path#attempt`). */
  offsets: Map<string, number>;
  /** Attempts read to the end after their end was recorded: nothing more comes, they are not read again. */
  done: Set<string>;
  /** For `now`: lines captured before this instant are not delivered. */
  since?: number;
}

interface Tail {
  followers: Set<Follower>;
  timer: NodeJS.Timeout;
  /** Reads happen one after another, never two at once: offsets stay consistent. */
  chain: Promise<unknown>;
  pending: boolean;
}

export interface LogFollow {
  stop(): void;
  /** Resolves once this follower has been given every line on disk now (call it after the run finished). */
  caughtUp(): Promise<void>;
}

export class LogTailer {
  private readonly tails = new Map<string, Tail>();

  constructor(
    private readonly store: Store,
    private readonly logs: LogReader,
    private readonly isActive: (runId: string) => boolean,
  ) {}

  follow(runId: string, deliver: (line: LiveLogLine) => void, from: LogsFrom = "start"): LogFollow {
    let tail = this.tails.get(runId);
    if (!tail) {
      tail = { followers: new Set(), chain: Promise.resolve(), pending: false, timer: setInterval(() => this.schedule(runId), TICK_MS) };
      tail.timer.unref();
      this.tails.set(runId, tail);
    }
    const follower: Follower = { deliver, offsets: new Map(), done: new Set(), ...(from === "now" ? { since: Date.now() } : {}) };
    tail.followers.add(follower);
    this.schedule(runId);
    const owner = tail;
    return {
      stop: () => {
        owner.followers.delete(follower);
        if (owner.followers.size === 0) {
          clearInterval(owner.timer);
          if (this.tails.get(runId) === owner) this.tails.delete(runId);
        }
      },
      caughtUp: () => {
        const done = owner.chain.then(() => this.drain(runId, follower));
        owner.chain = done.catch(() => undefined);
        return done.catch(() => undefined);
      },
    };
  }

  /** Queues one pass over every follower, unless one is already waiting to run. */
  private schedule(runId: string): void {
    const tail = this.tails.get(runId);
    if (!tail || tail.pending) return;
    tail.pending = true;
    tail.chain = tail.chain.then(async () => {
      tail.pending = false;
      if (!tail.followers.size) return;
      const active = this.isActive(runId);
      let more = false;
      try {
        const rows = await this.attempts(runId);
        for (const follower of tail.followers) for (const row of rows) more = (await this.readFor(follower, runId, row)) || more;
      } catch {
        return; // a log that cannot be read now is read at the next tick
      }
      // A long log is sent slice after slice without waiting for the next tick.
      if (more) this.schedule(runId);
      // A run that ended has all its lines on disk: once every follower has them, stop polling.
      else if (!active) clearInterval(tail.timer);
    });
  }

  /** Every line on disk now, to one follower. */
  private async drain(runId: string, follower: Follower): Promise<void> {
    const rows = await this.attempts(runId);
    for (const row of rows) while (await this.readFor(follower, runId, row));
  }

  /** The attempts' logs, and whether each attempt had ended when its row was read (before its log is). */
  private async attempts(runId: string): Promise<{ log: AttemptLog; ended: boolean }[]> {
    const stored = await this.store.getRun(runId);
    return (stored?.tasks ?? []).flatMap((row) => {
      const log = attemptLog(row);
      return log ? [{ log, ended: row.state !== "running" && row.state !== "pending" }] : [];
    });
  }

  /**
   * Delivers one follower's next slice of one attempt's log; true when more
   * is waiting. An attempt's log is whole once its end is recorded (the
   * engine that ran it writes, and copies for the others, everything before
   * that): read to its end after that, it is left alone — a run of many
   * finished tasks, followed through another engine, is not asked again
   * for each of them a few times a second.
   */
  private async readFor(follower: Follower, runId: string, { log: row, ended }: { log: AttemptLog; ended: boolean }): Promise<boolean> {
    const key = `${row.path}#${row.attempt}`;
    if (follower.done.has(key)) return false;
    const offset = follower.offsets.get(key) ?? 0;
    // Lines carry the time they were captured: "from now on" is exact, whenever the first read happens.
    const page = await this.logs.read(row, { offset, limit: LINES_PER_READ, ...(follower.since !== undefined ? { sinceTs: follower.since } : {}) });
    follower.offsets.set(key, page.nextOffset ?? page.endOffset);
    for (const line of page.lines) follower.deliver({ kind: "log", run_id: runId, task: row.path, attempt: row.attempt, line });
    if (ended && page.nextOffset === null) follower.done.add(key);
    return page.nextOffset !== null;
  }
}
