/**
 * A pipeline's concurrency and queue policy, and its runs' named locks, held
 * across every engine sharing the store (PostgreSQL): the queue each engine
 * keeps (run-queues.ts) holds the runs it will run, while the store says
 * which of all the engines' runs count as running, which wait and in what
 * order, and how many units of each lock running runs hold
 * (SharedStore.settlePlaces). Each decision holds the pipeline's queue in the
 * store (and the named locks, for a run that takes some) until its outcome
 * is written, so two engines deciding at the same instant take turns and the
 * second sees the first's run: the limits are exact, not eventual.
 *
 * Admission is admit() (admission.ts) over the queue as all the engines hold
 * it; a run without locks or debounce, of a pipeline with room, takes its
 * place in one statement (SharedStore.takePlace). A waiting run starts when
 * it is the first live run waiting in the store, there is room and its locks
 * are free: looked at when a run of this engine ends, when the store says a
 * run ended elsewhere (PlaceHints), and every POLL_MS while runs wait here.
 * A place is given back by the store itself, as a run's end is recorded.
 *
 * A task's own `locks:` are taken in the store too (shared-task-locks.ts):
 * the units the store says are held are those of every engine's runs and
 * tasks, and a whole run's locks count them all.
 */
import type { PlaceHints } from "../../cluster/port.js";
import type { QueueKey, QueuePlace, SharedQueue, SharedStore } from "../../store/shared-port.js";
import type { RunRow } from "../../store/port.js";
import type { EngineLogger } from "../engine.js";
import { normaliseLocks, type LockHolder, type LockRequest, type LockTable } from "../resources/locks.js";
import { admit, type Admission, type QueueView } from "./admission.js";
import type { PreparedRun } from "./prepared-run.js";
import type { PipelineDef } from "../../definitions/schema.js";

/** How often waiting runs look at the store when no hint came: a lost NOTIFY delays a start this much at most. */
export const PLACES_POLL_MS = 2000;

export interface Waiting {
  prepared: PreparedRun;
  readyAt: number;
}

export interface PipelineQueue<Controller = unknown> {
  namespace: string;
  pipeline: string;
  running: Map<string, Controller>;
  waiting: Waiting[];
  timer?: NodeJS.Timeout;
  /** A look at the store is under way (one at a time per queue); `again`: another was asked for meanwhile. */
  looking?: boolean;
  again?: boolean;
}

export interface ClusterQueuesDeps {
  shared: SharedStore;
  hints?: PlaceHints | undefined;
  /** This engine's lock table: whole runs' locks taken here too (its tasks take theirs from it before they take them in the store). */
  locks: LockTable;
  queues: ReadonlyMap<string, PipelineQueue<unknown>>;
  now(): number;
  logger: EngineLogger;
  /** The engine takes no new runs (it drains). */
  closed(): boolean;
  /** Starts a run whose place and locks are taken. */
  launch(prepared: PreparedRun): void;
  schedulePump(key: string, at: number): void;
  finishUnstarted(run: RunRow, state: "skipped" | "canceled", reason: string): Promise<void>;
  /** A run that waited here has gone on elsewhere (or ended): the store gives this engine no place for it. */
  dropped(runId: string): void;
}

export class ClusterQueues {
  private readonly timer: NodeJS.Timeout;
  private readonly unlisten: (() => void) | undefined;

  constructor(private readonly deps: ClusterQueuesDeps) {
    this.timer = setInterval(() => this.pumpWaiting(""), PLACES_POLL_MS).unref();
    this.unlisten = deps.hints?.listen((pipeline) => this.pumpWaiting(pipeline));
  }

  stop(): void {
    clearInterval(this.timer);
    this.unlisten?.();
  }

  /**
   * What becomes of a new run, decided over the queue of every engine; its
   * place is written before the queue is let go. "start": its place and
   * locks are taken (here and in the store). Undefined: the run ended meanwhile.
   */
  async decide(prepared: PreparedRun): Promise<Admission | undefined> {
    const locks = normaliseLocks(prepared.pipeline.locks);
    const reservation = this.reservation(prepared, locks);
    try {
      return await this.decideOver(prepared, locks, reservation);
    } catch (error) {
      // The run is stored (queued) and must not be lost: it waits here without a place, and takes one at its
      // queue's next look, once the store answers (its queue's limit not asked: it was let in).
      reservation.undo();
      this.deps.logger.warn({ run: prepared.run.id, error: (error as Error).message }, "the run's pipeline queue could not be read: it waits, and is let in once the store answers");
      return { action: "wait" };
    }
  }

  private async decideOver(prepared: PreparedRun, locks: LockRequest[], reservation: Reservation): Promise<Admission | undefined> {
    const { run, pipeline } = prepared;
    const stored = prepared.placed;
    delete prepared.placed;
    if (placeUnder(pipeline) !== undefined) {
      // Taken as the run was stored (storeNewRun), or now.
      const taken = stored ?? (await this.deps.shared.takePlace({ run_id: run.id, namespace: run.namespace, pipeline: run.pipeline, partition: run.partition }, pipeline.concurrency));
      if (taken === "running") return { action: "start" };
      if (taken === "gone") return undefined;
    }
    const place = { run_id: run.id, partition: run.partition, locks };
    const { result, placed } = await this.deps.shared.settlePlaces<Admission>(keyOf(run, locks), (queue) => {
      reservation.undo();
      const decision = admit(pipeline, viewOf(queue), run.partition);
      if (decision.action === "refuse") return { result: decision };
      if (decision.action === "start" && this.fits(queue, prepared, locks)) {
        reservation.take();
        return { result: decision, place: { ...place, place: "running" as const } };
      }
      // A start whose locks are held elsewhere waits for them, like a queued run.
      const waits: Admission = decision.action === "start" ? { action: "wait" } : decision;
      return { result: waits, place: { ...place, place: "waiting" as const }, ...(waits.action === "wait" && waits.replaces ? { replaces: waits.replaces } : {}) };
    });
    if (!placed) {
      reservation.undo();
      return undefined;
    }
    return result;
  }

  /** A run an earlier engine admitted goes on (running) or waits again (waiting) here: its place in the store says so again. */
  async hold(prepared: PreparedRun, place: "waiting" | "running"): Promise<void> {
    const locks = normaliseLocks(prepared.pipeline.locks);
    const { run } = prepared;
    try {
      await this.deps.shared.holdPlace(keyOf(run, locks), { run_id: run.id, partition: run.partition, locks }, place);
    } catch (error) {
      // A waiting run without a place gets one at its queue's next look; a running one goes on, uncounted elsewhere until it ends.
      this.deps.logger.warn({ run: run.id, error: (error as Error).message }, "the run's place in its pipeline's queue could not be recorded for the other engines");
    }
  }

  /** Looks at the store for the queues of `pipeline` ("" for every one) that have runs waiting here. */
  private pumpWaiting(pipeline: string): void {
    for (const [key, queue] of this.deps.queues) if ((pipeline === "" || pipeline === key) && queue.waiting.length > 0) this.pump(queue);
  }

  /** Starts the waiting runs of this queue that the store lets start; one look at a time per queue. */
  pump(queue: PipelineQueue): void {
    if (queue.looking) {
      queue.again = true;
      return;
    }
    queue.looking = true;
    void this.look(queue)
      .catch((error: Error) => this.deps.logger.warn({ pipeline: `${queue.namespace}/${queue.pipeline}`, error: error.message }, "the pipeline's queue could not be read (looked at again within two seconds)"))
      .finally(() => {
        queue.looking = false;
        if (!queue.again) return;
        queue.again = false;
        this.pump(queue);
      });
  }

  private async look(queue: PipelineQueue): Promise<void> {
    for (;;) {
      if (this.deps.closed() || queue.waiting.length === 0) return;
      const lockNames = [...new Set(queue.waiting.flatMap((waiting) => normaliseLocks(waiting.prepared.pipeline.locks).map((lock) => lock.name)))];
      let reservation: Reservation | undefined;
      const { result, placed } = await this.deps.shared.settlePlaces({ namespace: queue.namespace, pipeline: queue.pipeline, locks: lockNames }, (store) => {
        reservation?.undo();
        reservation = undefined;
        return this.next(queue, store, (chosen) => (reservation = chosen));
      });
      for (const [runId, by] of result.replaced) await this.skipReplaced(queue, runId, by);
      const { start, placing } = result;
      if (!start && !placing) return;
      const chosen = (start ?? placing)!;
      const index = queue.waiting.indexOf(chosen);
      // The store refused the place: the run has ended, or went to another engine, since it was queued here.
      if (!placed) {
        reservation?.undo();
        if (index >= 0) {
          queue.waiting.splice(index, 1);
          this.deps.dropped(chosen.prepared.run.id);
        }
        continue;
      }
      if (!start) continue;
      // Canceled or taken over meanwhile (its place goes with it), or the engine began draining (it goes on elsewhere).
      if (index < 0 || this.deps.closed()) {
        reservation?.undo();
        continue;
      }
      queue.waiting.splice(index, 1);
      this.deps.launch(start.prepared);
    }
  }

  /**
   * Which of the runs waiting here starts now: the first run waiting in the
   * store whose engine is alive, if it is one of these, is ready (its
   * debounce over) and has room and its locks. Runs replaced by newer ones
   * (through any engine) are reported, to be skipped. A run waiting here
   * without a place in the store (recorded while the store was away) takes
   * one first (`placing`).
   */
  private next(queue: PipelineQueue, store: SharedQueue, reserved: (reservation: Reservation) => void) {
    const places = new Map(store.places.map((place) => [place.run_id, place]));
    const replaced: [string, string][] = [];
    for (const { prepared } of queue.waiting) {
      const place = places.get(prepared.run.id);
      if (place?.place === "replaced") replaced.push([prepared.run.id, place.replaced_by ?? "another"]);
    }
    const outcome = (how: { start?: Waiting; placing?: Waiting } = {}) => ({ replaced, ...how });
    // A place written already (the last look's commit went unanswered): it starts without another.
    const alreadyRunning = queue.waiting.find((waiting) => places.get(waiting.prepared.run.id)?.place === "running");
    if (alreadyRunning) {
      const reservation = this.reservation(alreadyRunning.prepared, normaliseLocks(alreadyRunning.prepared.pipeline.locks));
      reservation.take();
      reserved(reservation);
      return { result: outcome({ start: alreadyRunning }) };
    }
    const unplaced = queue.waiting.find((waiting) => !places.has(waiting.prepared.run.id));
    if (unplaced) {
      const { run, pipeline } = unplaced.prepared;
      return { result: outcome({ placing: unplaced }), place: { run_id: run.id, partition: run.partition, locks: normaliseLocks(pipeline.locks), place: "waiting" as const } };
    }
    const first = store.places.find((place) => place.place === "waiting" && place.live);
    const candidate = first && queue.waiting.find((waiting) => waiting.prepared.run.id === first.run_id);
    if (!candidate) return { result: outcome() };
    const { prepared, readyAt } = candidate;
    if (readyAt > this.deps.now()) {
      this.deps.schedulePump(`${queue.namespace}/${queue.pipeline}`, readyAt);
      return { result: outcome() };
    }
    const running = store.places.filter((place) => place.place === "running").length;
    const locks = normaliseLocks(prepared.pipeline.locks);
    if (running >= prepared.pipeline.concurrency || !this.fits(store, prepared, locks) || this.deps.closed()) return { result: outcome() };
    const reservation = this.reservation(prepared, locks);
    reservation.take();
    reserved(reservation);
    return { result: outcome({ start: candidate }), place: { run_id: prepared.run.id, partition: prepared.run.partition, locks, place: "running" as const } };
  }

  private async skipReplaced(queue: PipelineQueue, runId: string, by: string): Promise<void> {
    const index = queue.waiting.findIndex((waiting) => waiting.prepared.run.id === runId);
    if (index < 0) return;
    const [replaced] = queue.waiting.splice(index, 1);
    await this.deps.finishUnstarted(replaced!.prepared.run, "skipped", `replaced by the newer run ${by}`);
  }

  /**
   * Every lock has its units free: what the running runs and tasks of every
   * engine hold (the store), plus what this run asks, within the capacity
   * its namespace declares.
   */
  private fits(store: SharedQueue, prepared: PreparedRun, locks: readonly LockRequest[]): boolean {
    const capacities = prepared.lockCapacities ?? {};
    return locks.every(({ name, count }) => (store.held[name] ?? 0) + count <= (capacities[name] ?? 1));
  }

  /** The run's units in this engine's lock table, taken as the store's are written, given back if that write does not happen. */
  private reservation(prepared: PreparedRun, locks: readonly LockRequest[]): Reservation {
    const holder: LockHolder = { run_id: prepared.run.id, task: null };
    let taken = false;
    return {
      take: () => {
        if (taken || locks.length === 0) return;
        this.deps.locks.take(locks, holder);
        taken = true;
      },
      undo: () => {
        if (!taken) return;
        this.deps.locks.release(locks, holder);
        taken = false;
      },
    };
  }
}

interface Reservation {
  take(): void;
  undo(): void;
}

/**
 * The runs admitted by a place alone (takePlace): those of a pipeline
 * without named locks or debounce, which start when fewer than its
 * concurrency run and none waits. The concurrency, for those; undefined for
 * the others, which are decided over the whole queue (settlePlaces).
 */
export function placeUnder(pipeline: PipelineDef): number | undefined {
  return normaliseLocks(pipeline.locks).length === 0 && !(pipeline.debounce !== undefined && pipeline.debounce > 0) ? pipeline.concurrency : undefined;
}

function keyOf(run: RunRow, locks: readonly LockRequest[]): QueueKey {
  return { namespace: run.namespace, pipeline: run.pipeline, locks: locks.map((lock) => lock.name) };
}

/** The store's queue as admit() reads it: running runs oldest first, waiting ones in order (a replaced run no longer waits). */
function viewOf(queue: SharedQueue): QueueView {
  const of = (kind: QueuePlace["place"]) => queue.places.filter((place) => place.place === kind);
  const running = of("running");
  return { running: { count: running.length, oldest: running[0]?.run_id }, waiting: of("waiting").map((place) => ({ id: place.run_id, partition: place.partition })) };
}
