/**
 * Follows rows a store appends with a seq (events, missed records), for
 * engines sharing the store: each appends its own, and every engine's
 * followers must see all of them, in seq order, each once. The store makes
 * appends visible in seq order (the counter is held until they commit), so
 * reading "everything after the last seq handed out" misses none.
 *
 * One read for all of this engine's subscribers, every `pollMs` while any
 * subscribes, and within `hintMs` of a hint that rows were stored (this
 * engine stored some, or another said so): a hint lost costs latency only.
 */
import { oneAtATime } from "../one-at-a-time.js";

export interface SeqSource<T> {
  /** The newest seq stored (where "from now on" starts). */
  latest(): Promise<number>;
  /** Rows after `afterSeq`, oldest first, at most `limit`. */
  since(afterSeq: number, limit: number): Promise<T[]>;
}

export interface SeqTiming {
  pollMs: number;
  hintMs: number;
}

const PAGE = 500;

export class SeqFollower<T extends { seq: number }> {
  private readonly listeners = new Set<(row: T) => void>();
  /** The newest row handed out; undefined until the first read says where the stream stands. */
  private lastSeq: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Reads whatever came since the last row handed out (one read at a time). */
  private readonly read = oneAtATime(
    () => this.readAll(),
    (error) => this.failed(error),
    () => this.timer !== undefined,
  );
  /** Resolves once the first read of where the stream stands is done. */
  private started: Promise<void> = Promise.resolve();
  private locating = false;
  private soon: NodeJS.Timeout | undefined;
  /**
   * Counts the times it started following (a first subscriber after none):
   * a read begun before the last stop answers from where the stream stood
   * then, and its rows are not for subscribers who came after it.
   */
  private following = 0;

  /** `failed`: a read failed (it is tried again at the next tick). */
  constructor(
    private readonly source: SeqSource<T>,
    private readonly timing: SeqTiming,
    private readonly failed: (error: Error) => void,
  ) {}

  /**
   * Hands `listener` every row stored from now on, in seq order. `ready`
   * resolves once where "now" stands is read (a failed read counts: the
   * next tick reads it again); `stop` lets go.
   */
  subscribe(listener: (row: T) => void): { stop: () => void; ready: Promise<void> } {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return {
      stop: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) this.stop();
      },
      ready: this.started,
    };
  }

  /**
   * Rows were stored: read within hintMs rather than at the next tick. Not
   * at once: an engine under load stores a batch every few ms, and a read
   * of the store for each would be one more query per write.
   */
  stored(): void {
    if (this.timer === undefined || this.soon !== undefined) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      if (this.timer !== undefined) this.read();
    }, this.timing.hintMs).unref();
  }

  private start(): void {
    this.following++;
    this.lastSeq = undefined;
    // Unref'd: a stream's own socket keeps the process up; this must not hold an engine that stops.
    this.timer = setInterval(() => this.read(), this.timing.pollMs).unref();
    this.started = this.locate();
    void this.started.then(() => this.read());
  }

  /** Reads where the stream stands (the only place that says so: two answers must not race). */
  private locate(): Promise<void> {
    this.locating = true;
    const following = this.following;
    return this.source
      .latest()
      .then(
        (seq) => void (following === this.following && (this.lastSeq ??= seq)),
        (error: Error) => this.failed(error),
      )
      .finally(() => (this.locating = false));
  }

  private stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.timer = undefined;
    this.soon = undefined;
  }

  private async readAll(): Promise<void> {
    if (this.lastSeq === undefined) {
      // Not known yet: the first look is on its way, or failed and is asked again.
      if (!this.locating) this.started = this.locate();
      return;
    }
    const following = this.following;
    while (this.timer !== undefined) {
      const page = await this.source.since(this.lastSeq, PAGE);
      if (following !== this.following) return;
      for (const row of page) {
        this.lastSeq = row.seq;
        for (const listener of this.listeners) listener(row);
      }
      if (page.length < PAGE) return;
    }
  }
}
