/**
 * The runs an engine finds in the store rather than makes: after a restart
 * its own unfinished runs (restart.ts's recoverRuns), and with engines
 * sharing a store the take-overs both ways, hand-overs and strays
 * (take-overs.ts). Each is taken up by the same means, from its stored rows.
 */
import type { EngineRoster, RunRequestHints } from "../../cluster/port.js";
import type { EngineLogger } from "../engine.js";
import { recoverRuns, takeOverRuns, type RestartDeps, type TakeUpCounts } from "./restart.js";
import { TakeOvers } from "./take-overs.js";

export interface EngineRecoveryDeps extends RestartDeps {
  /** Engines sharing the store: absent for one engine alone. */
  roster?: EngineRoster | undefined;
  handOvers?: RunRequestHints | undefined;
  /** The label sets of the workers connected to this engine now. */
  workersHere(): string[][];
  logger: EngineLogger;
}

/** How often the runs a live `spire run` holds are looked at again. */
const LOOK_AGAIN_MS = 1000;

export class EngineRecovery {
  private readonly takeOvers: TakeOvers | undefined;
  private leftTimer: NodeJS.Timeout | undefined;
  /** The look under way at runs a `spire run` process holds, if any. */
  private looking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: EngineRecoveryDeps) {
    const { roster, runs } = deps;
    this.takeOvers =
      roster &&
      new TakeOvers({
        roster,
        takeUp: (runIds, why) => takeOverRuns(deps, runIds, why),
        heldIds: () => runs.heldIds(),
        letGo: (runId, error) => runs.letGo(runId, error),
        interruptRetryable: (reason) => runs.interruptRetryable(reason),
        workerWaits: () => runs.workerWaits(),
        workersHere: () => deps.workersHere(),
        ...(deps.handOvers ? { handOverHints: deps.handOvers } : {}),
        logger: deps.logger,
      });
  }

  /**
   * After a restart: what earlier engines left running or queued goes on
   * here; the heartbeat starts first (see EngineRoster). The runs a live
   * `spire run` runs are looked at again each second, and go on here once
   * that process has ended without ending them.
   */
  async recover(): Promise<TakeUpCounts> {
    this.takeOvers?.start();
    const { left, ...counts } = await recoverRuns(this.deps);
    this.takeOvers?.ownRunsTakenUp();
    if (left.length > 0) {
      this.deps.logger.info({ runs: left }, "runs that a spire run process runs are left to it; taken up here if it ends without ending them");
      this.lookAgainAt(left);
    }
    return counts;
  }

  private lookAgainAt(runIds: string[]): void {
    if (this.stopped) return;
    this.leftTimer = setTimeout(() => {
      this.leftTimer = undefined;
      if (this.stopped) return;
      this.looking = recoverRuns(this.deps, new Set(runIds)).then(
        ({ left }) => (left.length > 0 ? this.lookAgainAt(left) : undefined),
        (error: Error) => {
          this.deps.logger.warn({ error: error.message }, "runs a spire run process left could not be taken up; looking again");
          this.lookAgainAt(runIds);
        },
      );
    }, LOOK_AGAIN_MS);
    this.leftTimer.unref();
  }

  /** The leader looks for silent engines; the others do not. */
  leading(leading: boolean): void {
    this.takeOvers?.leading(leading);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.leftTimer);
    this.leftTimer = undefined;
    await this.looking; // one under way ends before the queues close
    await this.takeOvers?.stop();
  }
}
