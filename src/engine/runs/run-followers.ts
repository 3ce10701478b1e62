/**
 * Followers of runs through this engine (the event stream, `spire logs -f`,
 * a `spire run` waiting for its run's end). A run this engine holds is
 * heard on its bus; one run elsewhere is read from the store (ForeignRuns).
 * A run that leaves while followed (handed to the engine with its workers,
 * or taken over) switches its followers here to the store, from the last
 * event they heard: they see the run to its end, with no event twice.
 */
import type { EventBus } from "../event-bus.js";
import type { LogTailer } from "../reads/log-tail.js";
import type { LiveEvent, LiveProgress, LogFollowing, Subscription } from "../service.js";
import type { ForeignRuns } from "./foreign-runs.js";
import type { EveryEngineEvents } from "../reads/every-engine-events.js";
import type { EveryEngineMissed } from "../reads/every-engine-missed.js";
import type { PipelineEvent } from "../event-bus.js";

export interface RunFollowersDeps {
  bus: EventBus;
  foreignRuns: ForeignRuns;
  logTailer: LogTailer;
  /** The run is held by this engine: its changes reach the bus. */
  isLocal(runId: string): boolean;
  /** Where each running task of the run stands (progress is not stored). */
  progressOf(runId: string): Iterable<LiveProgress>;
  /** With engines sharing a store: every engine's events, for followers of the whole stream that ask for them. */
  everyEngine?: EveryEngineEvents;
  /** With engines sharing a store: every engine's missed records, likewise. */
  everyEngineMissed?: EveryEngineMissed;
}

export class RunFollowers {
  /** Per run held here, how each of its followers switches to the store. */
  private readonly switches = new Map<string, Set<() => void>>();

  constructor(private readonly deps: RunFollowersDeps) {}

  subscribe(runId: string | null, listener: (event: LiveEvent) => void, options: { logs?: LogFollowing; everyEngine?: boolean } = {}): Subscription {
    const everyEngine = runId === null && options.everyEngine ? this.deps.everyEngine : undefined;
    if (everyEngine) {
      // Events from the store, this engine's among them; from the bus the rest (pipelines, progress).
      const fromStore = everyEngine.subscribe((event) => listener({ kind: "event", event }));
      const unsubscribeBus = this.deps.bus.subscribe(null, (event) => event.kind !== "event" && listener(event));
      return Object.assign(
        () => {
          fromStore.stop();
          unsubscribeBus();
        },
        { caughtUp: () => fromStore.ready },
      );
    }
    let heard = 0;
    const unsubscribeBus = this.deps.bus.subscribe(runId, (event) => {
      if (event.kind === "event" && event.event.run_id === runId) heard = Math.max(heard, event.event.seq);
      listener(event);
    });
    let unwatch: (() => void) | undefined;
    const switchToStore = () => (unwatch ??= this.deps.foreignRuns.watch(runId!, heard));
    // A run this engine does not hold is run elsewhere (or has ended): its events are read from the store.
    if (runId !== null && !this.deps.isLocal(runId)) switchToStore();
    else if (runId !== null) this.switchesOf(runId).add(switchToStore);
    const unsubscribe = () => {
      unsubscribeBus();
      unwatch?.();
      if (runId !== null) this.forgetSwitch(runId, switchToStore);
    };
    // Progress is not stored: a follower that comes late is told where each running task stands.
    if (runId !== null) for (const progress of this.deps.progressOf(runId)) listener(progress);
    const logs = options.logs ?? "all";
    if (runId === null || logs === "none") return Object.assign(() => void unsubscribe(), { caughtUp: () => Promise.resolve() });
    const tail = this.deps.logTailer.follow(runId, listener, logs === "new" ? "now" : "start");
    return Object.assign(
      () => {
        unsubscribe();
        tail.stop();
      },
      { caughtUp: () => tail.caughtUp() },
    );
  }

  /**
   * Pipeline events (missed slots, changed definitions, workers). With
   * `everyEngine` and engines sharing a store, the missed records of all of
   * them, from the store (this engine's among them: not from the bus too).
   */
  subscribePipelines(listener: (event: PipelineEvent) => void, options: { everyEngine?: boolean } = {}): Subscription {
    const everyEngine = options.everyEngine ? this.deps.everyEngineMissed : undefined;
    if (!everyEngine) return Object.assign(this.deps.bus.subscribePipelines(listener), { caughtUp: () => Promise.resolve() });
    const fromStore = everyEngine.subscribe((missed) => listener({ kind: "missed", missed }));
    const unsubscribeBus = this.deps.bus.subscribePipelines((event) => event.kind !== "missed" && listener(event));
    return Object.assign(
      () => {
        fromStore.stop();
        unsubscribeBus();
      },
      { caughtUp: () => fromStore.ready },
    );
  }

  /** The run went on in another engine: its followers here read it from the store from now on. */
  wentElsewhere(runId: string): void {
    const switches = this.switches.get(runId);
    this.switches.delete(runId);
    for (const switchToStore of switches ?? []) switchToStore();
  }

  private switchesOf(runId: string): Set<() => void> {
    let switches = this.switches.get(runId);
    if (!switches) this.switches.set(runId, (switches = new Set()));
    return switches;
  }

  private forgetSwitch(runId: string, switchToStore: () => void): void {
    const switches = this.switches.get(runId);
    if (!switches?.delete(switchToStore)) return;
    if (switches.size === 0) this.switches.delete(runId);
  }
}
