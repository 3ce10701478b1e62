/**
 * Triggers that fire on events rather than on the clock: `watch` (files
 * changed) and `after` (another pipeline finished). Webhooks are events too,
 * but a request starts them. All three start their runs the same way, through
 * the engine's startTriggeredRun (admission, queue policy, audit).
 *
 * Armed after the engine has recovered (start), re-armed wherever the
 * scheduler is refreshed (apply, delete, pause, resume), disarmed on drain.
 * Paused pipelines are not armed. At start, the followers an earlier engine
 * did not make (it stopped first: see after-triggers.ts) are made; after
 * that, the engine that leads makes those left by anyone meanwhile (an engine
 * that stopped while its runs ended, a store that failed): see sweep().
 */
import type { TriggerDef } from "../../definitions/schema.js";
import type { RunRow, Store } from "../../store/port.js";
import { parseTime } from "../../time/index.js";
import { AfterTriggers, FollowerExistsError, MAY_BE_FOLLOWED } from "./after-triggers.js";
import { ServiceError } from "../service.js";
import { WatchTriggers } from "./watch-triggers.js";

/** What an event trigger asks the engine to start. */
export interface TriggeredStart {
  namespace: string;
  name: string;
  /** The trigger's place in the pipeline's `triggers` (its key is `<index>:<kind>`). */
  index: number;
  kind: "webhook" | "watch" | "after";
  /** Who started the run, for the audit. */
  actor: string;
  /** More fields of the run's trigger object: what changed, which run finished. */
  details?: Record<string, unknown>;
  /** Given on top of the trigger's own args (a webhook caller's). */
  args?: Record<string, unknown>;
  /** `after`: the finished run followed; the run is made with its claim (at most once per finished run and trigger). */
  follows?: string;
}

/** What became of one start: made, refused for good, or to be tried again (by the next sweep, or the next engine). */
type Fired = "made" | "refused" | "again";

/** How often the engine that leads looks for followers left unmade. */
const SWEEP_EVERY_MS = 10_000;
/**
 * How long ago a run must have finished for its pending followers to count as
 * left: until then, the engine that ran it is taken to be making them (it
 * does within milliseconds). Clocks of engines that disagree by more only
 * make both try, and the claims make each run once.
 */
const LEFT_AFTER_MS = 4_000;

export interface EventTriggerDeps {
  store: Pick<Store, "listPipelines" | "listPendingFollowers" | "settleFollowers" | "listTriggersUnderway">;
  baseDirOf(namespace: string): Promise<string>;
  /** The engine's startTriggeredRun. */
  start(start: TriggeredStart): Promise<{ id: string }>;
  info(message: string, details: object): void;
  warn(message: string, details: object): void;
  /**
   * With engines sharing a store, whether this one watches the `watch`
   * triggers' paths now: only the engine that leads does, so that a change
   * starts one run, not one per engine (absent: always).
   */
  watching?(): boolean;
}

export class EventTriggers {
  private readonly watches: WatchTriggers;
  private readonly afters: AfterTriggers;
  private started = false;
  private stopped = false;
  /** Refreshes one at a time, in order: a later one sees the later definitions. */
  private refreshing: Promise<void> = Promise.resolve();
  /** Resolves after the first refresh: runs that finish before it (resumed at recovery) wait for the index. */
  private readonly armed: Promise<void>;
  private markArmed!: () => void;
  private isArmed = false;
  /** Runs whose end was stored as awaiting followers (see followed()), while this engine is making their followers. */
  private readonly awaiting = new Set<string>();
  /** Looks every SWEEP_EVERY_MS (engines sharing a store); a lone engine's one look after a failure (retry). */
  private sweeps: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** The sweep under way, if any: one at a time, and stop() waits for it. */
  private sweeping: Promise<void> | undefined;

  constructor(private readonly deps: EventTriggerDeps) {
    this.watches = new WatchTriggers({
      baseDirOf: deps.baseDirOf,
      fire: async (start) => (await this.fire(start)) === "made",
      info: deps.info,
      warn: deps.warn,
      store: deps.store,
      // Only engines sharing a store are asked whether they watch.
      shared: deps.watching !== undefined,
    });
    this.afters = new AfterTriggers(deps.warn);
    this.armed = new Promise((resolve) => (this.markArmed = resolve));
  }

  async start(): Promise<void> {
    this.started = true;
    await this.refresh();
    this.isArmed = true;
    this.markArmed();
    // Runs that finished under an engine that stopped before it made their followers: all of them, whoever leads, as
    // before this engine there may have been none. A run finishing meanwhile may be followed twice over, but its claims make each run once.
    this.followLeft(await this.deps.store.listPendingFollowers());
    // Another engine's clean stop is seen by no trigger here: with a shared store, look every SWEEP_EVERY_MS. A lone
    // engine looks only after a failure of its own (sweepSoon): at rest it reads nothing.
    if (this.deps.watching !== undefined) this.sweeps = setInterval(() => this.sweep(), SWEEP_EVERY_MS).unref();
  }

  /** One look SWEEP_EVERY_MS from now, unless looks are made at that pace anyway. */
  private sweepSoon(): void {
    if (this.stopped || this.sweeps !== undefined || this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.sweep();
    }, SWEEP_EVERY_MS).unref();
  }

  /**
   * Makes the followers left unmade while this engine runs: those of a run
   * that ended on an engine as it stopped cleanly (its triggers stop before
   * its runs do), or whose making failed on the store. Another engine
   * sharing the store stays up, so waiting for the next start could be
   * forever. Only on the engine that leads, so that one engine does it; a
   * lone engine (no `watching`) does it too, after its store failed.
   */
  private sweep(): void {
    if (this.stopped || this.sweeping !== undefined || this.deps.watching?.() === false) return;
    this.sweeping = this.deps.store
      .listPendingFollowers()
      .then((pending) => {
        const now = Date.now();
        this.followLeft(pending.filter((run) => !this.awaiting.has(run.id) && now - (run.finished_at ?? 0) >= LEFT_AFTER_MS));
      })
      .catch((error: Error) => {
        if (this.stopped) return;
        this.deps.warn("the runs whose followers are still to be made could not be read: read again shortly", { reason: error.message });
        this.sweepSoon();
      })
      .finally(() => (this.sweeping = undefined));
  }

  /** Starts the followers of runs whose pending records no engine is settling. Not awaited: making a run may wait (an env file). */
  private followLeft(runs: RunRow[]): void {
    for (const run of runs) this.awaiting.add(run.id);
    for (const run of runs) void this.follow(run);
  }

  /** Reads the applied pipelines again; call after apply, delete, pause and resume, and when this engine starts or stops leading. */
  refresh(): Promise<void> {
    if (!this.started || this.stopped) return Promise.resolve();
    // A refresh that failed (its caller was told) does not stop the next one.
    this.refreshing = this.refreshing.catch(() => {}).then(async () => {
      if (this.stopped) return;
      const rows = (await this.deps.store.listPipelines()).filter((row) => !row.paused);
      this.afters.update(rows);
      await this.watches.update(this.deps.watching?.() === false ? [] : rows);
    });
    return this.refreshing;
  }

  /**
   * Asked as a run's end is stored: whether it may start followers, and so is
   * stored as awaiting them. Before the index is built (a run resumed at
   * recovery ending early), any state that some trigger could follow says yes.
   */
  followed(run: Pick<RunRow, "id" | "namespace" | "pipeline" | "state">): boolean {
    const followed = this.isArmed ? this.afters.follows(run) : MAY_BE_FOLLOWED.has(run.state);
    if (followed) this.awaiting.add(run.id);
    return followed;
  }

  /** A run this engine ran has ended (not a skipped or canceled one that never started). */
  finished(run: RunRow): void {
    this.ended(run);
    void this.armed.then(() => this.follow(run));
  }

  /** Any run has ended, also one that never started (refused, canceled or replaced while queued). */
  ended(run: Pick<RunRow, "namespace" | "pipeline" | "trigger">): void {
    const key = run.trigger.trigger_key;
    if (typeof key === "string") this.watches.ended(run.namespace, run.pipeline, key);
  }

  /** Starts the followers of a finished run; once each is made or refused for good, its pending record goes. */
  private async follow(run: RunRow): Promise<void> {
    if (this.stopped) return;
    const fired = await Promise.all(this.afters.startsAfter(run).map((start) => this.fire({ ...start, follows: run.id })));
    // A stopping engine, or a store that failed, leaves the record: the sweep of the engine that leads (this one's too,
    // once it no longer counts the run as its own) or the next engine to start makes what is missing.
    if (!this.awaiting.has(run.id) || this.stopped) return;
    this.awaiting.delete(run.id);
    if (fired.includes("again")) return this.sweepSoon();
    await this.deps.store.settleFollowers(run.id).catch((error: Error) => this.deps.warn("a finished run's followers were made, but that could not be stored", { run: run.id, reason: error.message }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeps);
    clearTimeout(this.retry);
    await this.sweeping;
    await this.refreshing.catch(() => {});
    await this.watches.close();
  }

  private fire(start: TriggeredStart): Promise<Fired> {
    if (this.stopped) return Promise.resolve("again");
    const pipeline = `${start.namespace}/${start.name}`;
    const trigger = `${start.index}:${start.kind}`;
    return this.deps.start(start).then(
      (run) => {
        this.deps.info(`run started by its ${start.kind} trigger`, { pipeline, trigger, run: run.id });
        return "made";
      },
      (error: Error) => {
        if (error instanceof FollowerExistsError) return "refused";
        this.deps.warn(`no run started by its ${start.kind} trigger`, { pipeline, trigger, reason: error.message });
        // Refused by what the definitions say (paused, outside its window, bad arguments): for good. Else (shutting down, the store): again.
        return error instanceof ServiceError && error.code !== "unavailable" ? "refused" : "again";
      },
    );
  }
}

/** Why a trigger does not fire now (outside its `start`/`end` window), or undefined when it does. */
export function outsideWindow(trigger: TriggerDef, zone: string, now: number): string | undefined {
  // Both were checked when the file was applied; a bound that no longer parses (a zone gone from the runtime) bounds nothing.
  const at = (text: string | undefined) => {
    const parsed = text === undefined ? undefined : parseTime(text, trigger.timezone ?? zone);
    return parsed?.ok ? parsed.ms : undefined;
  };
  const start = at(trigger.start);
  const end = at(trigger.end);
  if (start !== undefined && now < start) return `its trigger starts at ${trigger.start}`;
  if (end !== undefined && now > end) return `its trigger ended at ${trigger.end}`;
  return undefined;
}
