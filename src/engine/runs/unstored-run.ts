/**
 * A new run not stored yet. With engines sharing the store, a new run that
 * its place alone admits (RunQueues.placeUnder) is started at once, before
 * it is stored, and its first write stores it (RunWrites): the run, its
 * place, its start and its first tasks' starts in one transaction
 * (SharedStore.createPlacedRun), where the run's creation and its start
 * were two commits one after the other. Nothing of it runs before that
 * write is stored.
 *
 * Admission learns here what came of it: started; or stored queued without
 * its start (its queue had no room, or another engine was deciding it at
 * that instant), and then admitted as any stored run is; or not stored at
 * all (its definition changed meanwhile, or the store failed).
 */
import type { EventRow, RunCreation, RunRow, StateChange, Store, TaskRunRow } from "../../store/port.js";
import type { PlaceTaken, SharedStore } from "../../store/shared-port.js";

/** Started, or stored without its start (with the place it took, if one was tried). */
export type StoredHow = { started: true } | { started: false; place?: PlaceTaken };

/** The run's first write stored it without its start: its controller steps back, and admission decides (RunQueues). */
export class RunNotStartedYet extends Error {
  override readonly name = "RunNotStartedYet";
  constructor(runId: string) {
    super(`run ${runId} is stored but did not start at once: its queue decides when it starts`);
  }
}

export class UnstoredRun {
  private asked = false;
  private resolveStored!: (how: StoredHow) => void;
  private rejectStored!: (error: unknown) => void;
  private readonly stored: Promise<StoredHow>;
  /** Set once it is stored with its start. */
  started = false;
  /** Once started: the run and its tasks as that write left them, and how many events it told (RunStarts answers with them). */
  firstWrite: { run: RunRow; tasks: TaskRunRow[]; told: number } | undefined;
  /** Why it was canceled while its first write was on its way: stored without its start, it is then ended, not admitted. */
  stopAsked: string | undefined;
  /** Why the start written after its creation failed (the run stored with its running place, not started). */
  startFailed: Error | undefined;

  /** `write`: the store's write, for a start its creation's transaction could not hold. */
  constructor(
    private readonly shared: Pick<SharedStore, "createPlacedRun">,
    private readonly write: Store["write"],
    private readonly run: RunRow,
    private readonly event: Omit<EventRow, "seq">,
    private readonly creation: RunCreation,
    private readonly concurrency: number,
  ) {
    this.stored = new Promise<StoredHow>((resolve, reject) => {
      this.resolveStored = resolve;
      this.rejectStored = reject;
    });
    // Heard by outcome(), which may come after a rejection: not an unhandled one meanwhile.
    this.stored.catch(() => {});
  }

  /** Stores the run, and `start` with it if it takes a running place: called once, by the run's first write. */
  async storeWith(start: readonly StateChange[]): Promise<{ created: EventRow; started?: EventRow[] }> {
    this.asked = true;
    try {
      let made = await this.shared.createPlacedRun(this.run, this.event, this.creation, this.concurrency, start);
      // A start the store could not hold with the creation: written now, the run's place taken.
      if (made.started === undefined && made.place === "running") {
        try {
          made = { ...made, started: await this.write([...start]) };
        } catch (error) {
          // The run is stored, queued with its running place, but its start is not: a fault here would leave it
          // so, with no controller, until the engine's next start. Stored without its start instead: admission
          // starts it as any stored run with that place, and that run's controller writes the start again.
          this.startFailed = error as Error;
        }
      }
      this.started = made.started !== undefined;
      if (made.started) this.firstWrite = { ...asStarted(this.run, start), told: 1 + made.started.length };
      this.resolveStored(made.started ? { started: true } : { started: false, ...(made.place ? { place: made.place } : {}) });
      return made;
    } catch (error) {
      this.rejectStored(error);
      throw error;
    }
  }

  /** Whether it was stored with its start, once its first write has settled (false: never written, or not started). */
  settled(): Promise<boolean> {
    return this.asked ? this.stored.then((how) => how.started, () => false) : Promise.resolve(false);
  }

  /** What came of it, once stored or once its controller (`ended`) has stopped; rejects when it was not stored. */
  outcome(ended: Promise<RunRow>): Promise<StoredHow> {
    return Promise.race([
      this.stored,
      ended.then((final) => (this.asked ? this.stored : Promise.reject(new Error(`run ${this.run.id} stopped before it was stored: ${final.reason ?? "no reason given"}`)))),
    ]);
  }
}

/** The run and its tasks' rows with `changes` applied (each attempt's last row counts). */
function asStarted(run: RunRow, changes: readonly StateChange[]): { run: RunRow; tasks: TaskRunRow[] } {
  let row = run;
  const tasks = new Map<string, TaskRunRow>();
  for (const change of changes) {
    if (change.run) row = { ...row, ...Object.fromEntries(Object.entries(change.run).filter(([, value]) => value !== undefined)) };
    if (change.task) tasks.set(`${change.task.path}\u0000${change.task.attempt}`, change.task);
  }
  return { run: row, tasks: [...tasks.values()] };
}
