/**
 * The engine-wide event stream (GET /events) where engines share a store:
 * every engine's runs' events, read from the store in seq order. An engine
 * hears only its own runs' events on its bus, so a web UI open on one engine
 * saw nothing of the runs of the others; and mixing the bus with reads of
 * the others' would send seqs out of order, which a client resuming by
 * Last-Event-ID relies on (the store makes appends visible in seq order).
 * One read for all of this engine's followers of the whole stream, every
 * POLL_MS, and within HINT_MS when this engine stores events: its own come
 * about as soon as before, in order with the rest.
 */
import type { EventRow, Store } from "../../store/port.js";

const POLL_MS = 250;
/** How soon after this engine stores events they are read (its own come about as soon as on the bus). */
const HINT_MS = 20;
const PAGE = 500;

export class EveryEngineEvents {
  private readonly listeners = new Set<(event: EventRow) => void>();
  /** The newest event handed out; undefined until the first read says where the stream stands. */
  private lastSeq: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private again = false;
  /** Resolves once the first read of where the stream stands is done. */
  private started: Promise<void> = Promise.resolve();
  private locating = false;
  private soon: NodeJS.Timeout | undefined;

  /** `failed`: a read failed (it is tried again at the next tick). */
  constructor(
    private readonly store: Pick<Store, "listEventsSince" | "latestEventSeq">,
    private readonly failed: (error: Error) => void,
  ) {}

  /**
   * Hands `listener` every event stored from now on, in seq order. `ready`
   * resolves once where "now" stands is read (a failed read counts: the
   * next tick reads it again); `stop` lets go.
   */
  subscribe(listener: (event: EventRow) => void): { stop: () => void; ready: Promise<void> } {
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
   * This engine stored events: read within HINT_MS rather than at the next
   * tick. Not at once: an engine under load stores a batch every few ms, and
   * a read of the store for each would be one more query per write.
   */
  stored(): void {
    if (this.timer === undefined || this.soon !== undefined) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      if (this.timer !== undefined) this.read();
    }, HINT_MS).unref();
  }

  private start(): void {
    this.lastSeq = undefined;
    // Unref'd: a stream's own socket keeps the process up; this must not hold an engine that stops.
    this.timer = setInterval(() => this.read(), POLL_MS).unref();
    this.started = this.locate();
    void this.started.then(() => this.read());
  }

  /** Reads where the stream stands (the only place that says so: two answers must not race). */
  private locate(): Promise<void> {
    this.locating = true;
    return this.store
      .latestEventSeq()
      .then(
        (seq) => void (this.lastSeq ??= seq),
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

  private read(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void this.readAll()
      .catch((error: Error) => this.failed(error))
      .finally(() => {
        this.reading = false;
        if (!this.again) return;
        this.again = false;
        if (this.timer !== undefined) this.read();
      });
  }

  private async readAll(): Promise<void> {
    if (this.lastSeq === undefined) {
      // Not known yet: the first look is on its way, or failed and is asked again.
      if (!this.locating) this.started = this.locate();
      return;
    }
    while (this.timer !== undefined) {
      const page = await this.store.listEventsSince(this.lastSeq, PAGE);
      for (const event of page) {
        this.lastSeq = event.seq;
        for (const listener of this.listeners) listener(event);
      }
      if (page.length < PAGE) return;
    }
  }
}
