/**
 * Engines sharing a store, both ways of a take-over. While this engine leads
 * the scheduling, it looks at every heartbeat for engines gone silent and
 * takes over their unfinished runs (restart.ts's takeOverRuns). And when it
 * learns that runs of its own went to another engine (it was the silent
 * one: paused, cut off), it lets them go: their tasks here stop, and their
 * late results, refused by the store, are never recorded twice.
 *
 * Hand-overs, both ways too: a worker connects to one engine, any of them,
 * while a run may be made on another (the leader's schedules, an API call
 * to any engine). At each heartbeat, a run here whose every task under way
 * waits for a worker that none of this engine's connected workers could
 * take is handed to an engine whose workers can; that engine carries it on
 * from its stored rows, as after a take-over.
 */
import type { EngineRoster, RunRequestHints } from "../../cluster/port.js";
import { RunTakenOverError } from "../../store/errors.js";
import type { EngineLogger } from "../engine.js";
import { hasLabels } from "../../plan/runs-on.js";

export interface TakeOverDeps {
  roster: EngineRoster;
  /** Takes up these runs, now this engine's; `why` says what became of the engines they come from. */
  takeUp(runIds: string[], why: string): Promise<unknown>;
  /** The runs this engine holds, running or waiting. */
  heldIds(): string[];
  letGo(runId: string, error: RunTakenOverError): void;
  /** Stops the running attempts that a take-over would run again (those with a retry left); how many. */
  interruptRetryable(reason: string): number;
  /** The runs here whose every task under way waits for a worker, with the label sets they wait for. */
  workerWaits(): { runId: string; needs: string[][] }[];
  /** The label sets of the workers connected to this engine now. */
  workersHere(): string[][];
  /** A hint that another engine handed runs to this one. */
  handOverHints?: RunRequestHints;
  logger: EngineLogger;
}

/** How long a run this engine owns may go unheld before it counts as a stray (see above). */
const STRAY_AFTER_MS = 5_000;

/** Some connected worker has every label of `need`. */
function covered(workers: readonly string[][], need: readonly string[]): boolean {
  return workers.some((labels) => hasLabels(labels, need));
}

export class TakeOvers {
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> = Promise.resolve();
  private stopped = false;
  private stopHints: (() => void) | undefined;
  /** Whether the runs this engine owned at its start are taken up: until then, every one of them is unheld. */
  private recovered = false;
  /** Owned runs seen unheld, since when (performance.now()). */
  private unheldSince = new Map<string, number>();

  constructor(private readonly deps: TakeOverDeps) {}

  /** Heartbeats from now on (before this engine takes up its own runs: see EngineRoster). */
  start(): void {
    this.deps.roster.workersHere(() => this.deps.workersHere());
    this.stopHints = this.deps.handOverHints?.listen(() => this.then(() => this.takeHanded()));
    this.deps.roster.start(
      () => void this.letGoOfTaken(),
      (silentForMs) => {
        const reason = `this engine could not reach the store for ${Math.round(silentForMs / 1000)} s, and another engine may take its runs over`;
        const stopped = this.deps.interruptRetryable(reason);
        this.deps.logger.warn({ stopped }, `${reason}: its attempts that have a retry left are stopped, so that none runs twice`);
      },
      () =>
        this.then(() => this.handOverWaiting())
          .then(() => this.takeHanded())
          .then(() => this.takeUpStrays()),
    );
  }

  /** The runs this engine owned at its start are taken up: from now on, an owned run it does not hold is a stray. */
  ownRunsTakenUp(): void {
    this.recovered = true;
  }

  /** One look at a time: a run is never taken up twice at once. */
  private then(look: () => Promise<void>): Promise<void> {
    this.looking = this.looking.then(() => (this.stopped ? undefined : look()));
    return this.looking;
  }

  /** Looks for silent engines while leading: one engine at a time takes runs over. */
  leading(leading: boolean): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!leading || this.stopped) return;
    this.timer = setInterval(() => void this.then(() => this.lookForSilent()), this.deps.roster.heartbeatEveryMs);
    this.timer.unref();
  }

  /** Stops taking runs over; the heartbeat goes on until the engine leaves the store (a draining engine's runs stay its own). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopHints?.();
    await this.looking;
  }

  private async lookForSilent(): Promise<void> {
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

  /** Runs waiting here only for workers connected to other engines go to one of those. */
  private async handOverWaiting(): Promise<void> {
    const here = this.deps.workersHere();
    for (const { runId, needs } of this.deps.workerWaits()) {
      if (needs.some((need) => covered(here, need))) continue;
      try {
        const to = await this.deps.roster.handOver(runId, needs);
        if (to === undefined) continue;
        const labels = needs.map((need) => `[${need.join(", ")}]`).join(", ");
        this.deps.logger.info({ run: runId, engine: to, runs_on: needs }, `handed the run to engine ${to.slice(0, 8)}: a worker with labels ${labels} is connected there, none here`);
        this.deps.letGo(runId, new RunTakenOverError(runId, to, "handed"));
      } catch (error) {
        this.deps.logger.warn({ run: runId, error: (error as Error).message }, "could not hand the run to an engine with its workers; trying again at the next heartbeat");
      }
    }
  }

  /** Runs handed to this engine: carried on here from their stored rows. */
  private async takeHanded(): Promise<void> {
    try {
      const held = new Set(this.deps.heldIds());
      const handed = (await this.deps.roster.handedOver()).filter((handover) => !held.has(handover.runId));
      if (handed.length === 0) return;
      const engines = [...new Set(handed.map((handover) => handover.from.slice(0, 8)))].join(", ");
      this.deps.logger.info({ runs: handed.length, engines }, `took up runs handed over by engines whose workers could not run them (${engines})`);
      await this.deps.takeUp(handed.map((handover) => handover.runId), `handed over by engine ${engines}`);
    } catch (error) {
      this.deps.logger.warn({ error: (error as Error).message }, "could not take up the runs handed to this engine; trying again at the next heartbeat");
    }
  }

  /** Runs this engine owns and has not held for STRAY_AFTER_MS: taken up. */
  private async takeUpStrays(): Promise<void> {
    if (!this.recovered) return;
    try {
      const unheld = await this.deps.roster.ownedUnfinished(this.deps.heldIds());
      const now = performance.now();
      const since = new Map(unheld.map((runId) => [runId, this.unheldSince.get(runId) ?? now]));
      this.unheldSince = since;
      const held = new Set(this.deps.heldIds());
      const strays = unheld.filter((runId) => now - since.get(runId)! >= STRAY_AFTER_MS && !held.has(runId));
      if (strays.length === 0) return;
      for (const runId of strays) since.delete(runId);
      this.deps.logger.warn({ runs: strays }, `took up ${strays.length} run(s) of this engine's that it was not running (the store's answer to a change was lost)`);
      await this.deps.takeUp(strays, "the store's answer to a change of it was lost");
    } catch (error) {
      this.deps.logger.warn({ error: (error as Error).message }, "could not look for runs of this engine's that it does not run; trying again at the next heartbeat");
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
