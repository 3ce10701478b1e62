/**
 * Triggers that fire on events rather than on the clock: `watch` (files
 * changed) and `after` (another pipeline finished). Webhooks are events too,
 * but a request starts them. All three start their runs the same way, through
 * the engine's startTriggeredRun (admission, queue policy, audit).
 *
 * Armed after the engine has recovered (start), re-armed wherever the
 * scheduler is refreshed (apply, delete, pause, resume), disarmed on drain.
 * Paused pipelines are not armed.
 */
import type { TriggerDef } from "../spec/schema.js";
import type { RunRow, Store } from "../store/port.js";
import { parseTime } from "../time/index.js";
import { AfterTriggers } from "./after-triggers.js";
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
}

export interface EventTriggerDeps {
  store: Pick<Store, "listPipelines">;
  baseDirOf(namespace: string): Promise<string>;
  /** The engine's startTriggeredRun. */
  start(start: TriggeredStart): Promise<{ id: string }>;
  info(message: string, details: object): void;
  warn(message: string, details: object): void;
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

  constructor(private readonly deps: EventTriggerDeps) {
    this.watches = new WatchTriggers({ baseDirOf: deps.baseDirOf, fire: (start) => this.fire(start), warn: deps.warn });
    this.afters = new AfterTriggers(deps.warn);
    this.armed = new Promise((resolve) => (this.markArmed = resolve));
  }

  async start(): Promise<void> {
    this.started = true;
    await this.refresh();
    this.markArmed();
  }

  /** Reads the applied pipelines again; call after apply, delete, pause and resume. */
  refresh(): Promise<void> {
    if (!this.started || this.stopped) return Promise.resolve();
    // A refresh that failed (its caller was told) does not stop the next one.
    this.refreshing = this.refreshing.catch(() => {}).then(async () => {
      if (this.stopped) return;
      const rows = (await this.deps.store.listPipelines()).filter((row) => !row.paused);
      this.afters.update(rows);
      await this.watches.update(rows);
    });
    return this.refreshing;
  }

  /** A run this engine ran has ended (not a skipped or canceled one that never started). */
  finished(run: RunRow): void {
    void this.armed.then(() => {
      if (this.stopped) return;
      for (const start of this.afters.startsAfter(run)) this.fire(start);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.refreshing.catch(() => {});
    await this.watches.close();
  }

  private fire(start: TriggeredStart): void {
    if (this.stopped) return;
    const pipeline = `${start.namespace}/${start.name}`;
    this.deps.start(start).then(
      (run) => this.deps.info(`run started by its ${start.kind} trigger`, { pipeline, trigger: `${start.index}:${start.kind}`, run: run.id }),
      (error: Error) => this.deps.warn(`no run started by its ${start.kind} trigger`, { pipeline, trigger: `${start.index}:${start.kind}`, reason: error.message }),
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
