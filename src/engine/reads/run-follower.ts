/**
 * Following one run from a point in its history to its end: the stored
 * events after `after` (replay), then the live ones, then the end after
 * `run.finished` once every log line on disk has been handed over. The SSE
 * route and a CLI running the engine in its own process both follow runs
 * this way, so what a person sees does not depend on where the engine is.
 *
 * The subscription is made before the replay is read, so an event stored in
 * between arrives live and is not lost; seq numbers drop the duplicates.
 */
import type { EventRow } from "../../store/port.js";
import type { EngineService, LiveEvent, LogFollowing, Subscription } from "../service.js";

const REPLAY_PAGE = 500;
const TERMINAL = new Set(["succeeded", "failed", "canceled", "skipped", "interrupted"]);

export interface FollowFrom {
  /** Stored events with a seq above this are sent (0: from the start). */
  after: number;
  logs: LogFollowing;
}

export class RunFollower {
  /** Live events that came while the replay was being read; undefined once they have been sent. */
  private live: LiveEvent[] | undefined = [];
  private send: ((event: LiveEvent) => void) | undefined;
  /** run.finished was seen: the stream ends once the log lines on disk have been sent. */
  private finishing = false;
  private ended = false;
  private endOf: (() => void) | undefined;

  private constructor(
    private readonly service: EngineService,
    private readonly runId: string,
    private lastSeq: number,
    private readonly subscription: Subscription,
    private readonly finished: boolean,
  ) {}

  /** Subscribes, then looks the run up: throws the service's not_found before anything is sent. */
  static async open(service: EngineService, runId: string, from: FollowFrom): Promise<RunFollower> {
    let follower: RunFollower | undefined;
    const early: LiveEvent[] = [];
    const subscription = service.subscribe(runId, (event) => (follower ? follower.receive(event) : early.push(event)), { logs: from.logs });
    try {
      const run = await service.getRun(runId);
      follower = new RunFollower(service, runId, from.after, subscription, TERMINAL.has(run.state));
      follower.live!.push(...early);
      return follower;
    } catch (error) {
      subscription();
      throw error;
    }
  }

  /**
   * Sends the replay, then live events, to `send`; resolves when the stream
   * has ended (the run finished and its lines were sent, or stop() was called).
   */
  async start(send: (event: LiveEvent) => void): Promise<void> {
    this.send = send;
    const ended = new Promise<void>((resolve) => (this.endOf = resolve));
    if (this.ended) return;
    try {
      for (;;) {
        const page: EventRow[] = await this.service.listEvents(this.runId, this.lastSeq, REPLAY_PAGE);
        for (const event of page) this.deliver({ kind: "event", event });
        if (page.length < REPLAY_PAGE || this.ended) break;
      }
    } catch (error) {
      this.stop();
      throw error;
    }
    const buffered = this.live ?? [];
    this.live = undefined;
    for (const event of buffered) this.deliver(event);
    // A finished run has stored all its events: nothing more will come (run.finished, if it was sent, ends the stream itself).
    if (this.finished && !this.finishing) this.stop();
    return ended;
  }

  /** Ends the stream: no more events are sent, and start() resolves. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.subscription();
    this.endOf?.();
  }

  private receive(event: LiveEvent): void {
    if (this.live) this.live.push(event);
    else this.deliver(event);
  }

  private deliver(event: LiveEvent): void {
    if (this.ended || !this.send) return;
    if (event.kind !== "event") return this.send(event);
    const row = event.event;
    if (row.seq <= this.lastSeq) return;
    this.lastSeq = row.seq;
    if (row.type !== "run.finished") return this.send(event);
    // The last lines of the last tasks are on disk but perhaps not sent yet: they come before the end.
    this.finishing = true;
    void this.subscription.caughtUp().then(() => {
      if (this.ended) return;
      this.send!(event);
      this.stop();
    });
  }
}
