/**
 * Engines sharing a store, both ways of a take-over. While this engine leads
 * the scheduling, it looks at every heartbeat for engines gone silent and
 * takes over their unfinished runs (restart.ts's takeOverRuns). And when it
 * learns that runs of its own went to another engine (it was the silent
 * one: paused, cut off), it lets them go: their tasks here stop, and their
 * late results, refused by the store, are never recorded twice.
 */
import type { EngineRoster } from "../../cluster/port.js";
import { RunTakenOverError } from "../../store/errors.js";
import type { EngineLogger } from "../engine.js";

export interface TakeOverDeps {
  roster: EngineRoster;
  /** Takes up these runs, now this engine's; `why` says what became of the engines they come from. */
  takeUp(runIds: string[], why: string): Promise<unknown>;
  /** The runs this engine holds, running or waiting. */
  heldIds(): string[];
  letGo(runId: string, error: RunTakenOverError): void;
  /** Stops the running attempts that a take-over would run again (those with a retry left); how many. */
  interruptRetryable(reason: string): number;
  logger: EngineLogger;
}

export class TakeOvers {
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: TakeOverDeps) {}

  /** Heartbeats from now on (before this engine takes up its own runs: see EngineRoster). */
  start(): void {
    this.deps.roster.start(
      () => void this.letGoOfTaken(),
      (silentForMs) => {
        const reason = `this engine could not reach the store for ${Math.round(silentForMs / 1000)} s, and another engine may take its runs over`;
        const stopped = this.deps.interruptRetryable(reason);
        this.deps.logger.warn({ stopped }, `${reason}: its attempts that have a retry left are stopped, so that none runs twice`);
      },
    );
  }

  /** Looks for silent engines while leading: one engine at a time takes runs over. */
  leading(leading: boolean): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!leading || this.stopped) return;
    this.timer = setInterval(() => {
      this.looking = this.looking.then(() => this.lookForSilent());
    }, this.deps.roster.heartbeatEveryMs);
    this.timer.unref();
  }

  /** Stops taking runs over; the heartbeat goes on until the engine leaves the store (a draining engine's runs stay its own). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.looking;
  }

  private async lookForSilent(): Promise<void> {
    if (this.stopped) return;
    try {
      for (;;) {
        const taken = await this.deps.roster.takeOverSilent();
        if (taken.runIds.length === 0) return;
        const engines = taken.from.map((id) => id.slice(0, 8)).join(", ");
        this.deps.logger.warn({ runs: taken.runIds.length, engines: taken.from }, `took over the unfinished runs of silent engines (${engines})`);
        await this.deps.takeUp(taken.runIds, `the engine that ran it (${engines}) went silent`);
      }
    } catch (error) {
      this.deps.logger.warn({ error: (error as Error).message }, "could not look for silent engines; trying again at the next heartbeat");
    }
  }

  private async letGoOfTaken(): Promise<void> {
    try {
      const taken = await this.deps.roster.notOwned(this.deps.heldIds());
      for (const [runId, owner] of taken) this.deps.letGo(runId, new RunTakenOverError(runId, owner));
    } catch (error) {
      // The store refuses this engine's writes to those runs all the same; each stops at its next write.
      this.deps.logger.warn({ error: (error as Error).message }, "could not check which runs another engine took over");
    }
  }
}
