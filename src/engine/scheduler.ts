/**
 * Time triggers (cron, every, at) of applied pipelines: which slots are due,
 * which were missed while the engine was down or the machine slept, and
 * starting their runs. A slot is claimed in the store together with its run
 * (store.claimSlots), so it starts at most one run across restarts and
 * engines; the maths is src/time (pure). The wait between checks never
 * exceeds MAX_WAIT_MS, so suspend, resume and clock steps are noticed, and a
 * timer that fires early starts nothing early (the clock is read again).
 */
import type { PipelineDef, TriggerDef } from "../spec/schema.js";
import type { PipelineRow, SlotClaim, Store } from "../store/port.js";
import { MAX_WAIT_MS, missedSlots, scheduleOf, type TriggerSchedule } from "../time/index.js";

export interface ScheduledStart {
  row: PipelineRow;
  trigger: TriggerDef;
  triggerKey: string;
  slot: number;
}

export interface SchedulerDeps {
  store: Store;
  now: () => number;
  defaultZone: string;
  /** Makes the run of a slot (args checked, planned) without storing it: its row and event go into the claim. */
  prepare(start: ScheduledStart): Promise<{ claim: SlotClaim; admit: () => Promise<void> } | undefined>;
  warn(message: string, details: object): void;
}

interface Entry {
  row: PipelineRow;
  trigger: TriggerDef;
  key: string;
  schedule: TriggerSchedule;
  lastSlot: number;
  /** `every` with after_finish: when the last run of this trigger finished. */
  lastFinished?: number;
  running: boolean;
}

/** A slot within this much of now is "on time", not missed, for `catchup: none`. */
const ON_TIME_GRACE_MS = 1_000;

export class Scheduler {
  private entries: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private stopped = true;

  constructor(private readonly deps: SchedulerDeps) {}

  /** (Re)reads the applied pipelines' time triggers; call after apply, delete, pause and resume. */
  async refresh(): Promise<void> {
    const rows = await this.deps.store.listPipelines();
    const now = this.deps.now();
    const entries: Entry[] = [];
    for (const row of rows) {
      if (row.paused) continue;
      const definition = row.definition as PipelineDef;
      for (const [index, trigger] of definition.triggers.entries()) {
        if (trigger.kind !== "cron" && trigger.kind !== "every" && trigger.kind !== "at") continue;
        const key = `${index}:${trigger.kind}`;
        const stored = await this.deps.store.ensureSchedule(row.namespace, row.name, key, now);
        try {
          const schedule = scheduleOf(trigger, { defaultZone: this.deps.defaultZone, anchor: stored.anchor, key: `${row.namespace}/${row.name}/${key}` });
          const previous = this.entries.find((entry) => entry.row.namespace === row.namespace && entry.row.name === row.name && entry.key === key);
          entries.push({ row, trigger, key, schedule, lastSlot: stored.last_slot ?? stored.anchor, running: previous?.running ?? false, ...(previous?.lastFinished !== undefined ? { lastFinished: previous.lastFinished } : {}) });
        } catch (error) {
          this.deps.warn("a trigger cannot be scheduled", { pipeline: `${row.namespace}/${row.name}`, trigger: key, error: (error as Error).message });
        }
      }
    }
    this.entries = entries;
    if (!this.stopped) this.kick();
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next time a pipeline fires, for `spire ls` and GET /pipelines. */
  nextFireAt(namespace: string, pipeline: string): number | null {
    let next: number | null = null;
    for (const entry of this.entries) {
      if (entry.row.namespace !== namespace || entry.row.name !== pipeline) continue;
      const at = this.nextDue(entry);
      if (at !== undefined && (next === null || at < next)) next = at;
    }
    return next;
  }

  /** For `every … after_finish`: the run of that trigger finished, the delay counts from now. */
  finished(namespace: string, pipeline: string, triggerKey: string, at: number): void {
    const entry = this.entries.find((e) => e.row.namespace === namespace && e.row.name === pipeline && e.key === triggerKey);
    if (!entry) return;
    entry.running = false;
    entry.lastFinished = at;
    this.kick();
  }

  private nextDue(entry: Entry): number | undefined {
    if (entry.schedule.fixedDelay) {
      if (entry.running) return undefined;
      const slot = entry.schedule.next(Math.max(entry.lastFinished ?? entry.lastSlot, entry.lastSlot));
      return slot === undefined ? undefined : entry.schedule.fireAt(slot);
    }
    const slot = entry.schedule.next(entry.lastSlot);
    return slot === undefined ? undefined : entry.schedule.fireAt(slot);
  }

  /** Runs a check now (or right after the one in progress). */
  private kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.ticking = true;
    try {
      for (const entry of this.entries) await this.handle(entry).catch((error: Error) => this.deps.warn("a slot could not be started", { pipeline: `${entry.row.namespace}/${entry.row.name}`, trigger: entry.key, error: error.message }));
    } finally {
      this.ticking = false;
    }
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      return this.kick();
    }
    const now = this.deps.now();
    const dues = this.entries.map((entry) => this.nextDue(entry)).filter((at): at is number => at !== undefined);
    const wait = dues.length ? Math.min(...dues) - now : MAX_WAIT_MS;
    // Never sleep longer than MAX_WAIT_MS: a suspended machine or a stepped clock is noticed at the next look.
    this.timer = setTimeout(() => void this.tick(), Math.max(0, Math.min(wait, MAX_WAIT_MS)));
  }

  /** Claims and starts what is due for one trigger; records what was missed. */
  private async handle(entry: Entry): Promise<void> {
    const now = this.deps.now();
    let due: { run: number[]; missed: number[] };
    if (entry.schedule.fixedDelay) {
      const at = this.nextDue(entry);
      if (at === undefined || at > now) return;
      due = { run: [entry.schedule.next(Math.max(entry.lastFinished ?? entry.lastSlot, entry.lastSlot))!], missed: [] };
    } else {
      const definition = entry.row.definition as PipelineDef;
      due = missedSlots(entry.schedule, entry.lastSlot, now, definition.catchup, definition.catchup_limit, { grace: ON_TIME_GRACE_MS + (entry.trigger.jitter ?? 0) });
      // A jittered slot fires a little after its time; it is not claimed before that.
      const newest = due.run[due.run.length - 1];
      if (newest !== undefined && entry.schedule.fireAt(newest) > now) return;
    }
    if (due.run.length === 0 && due.missed.length === 0) return;
    const claims: SlotClaim[] = due.missed.map((slot) => ({ slot, outcome: "missed" }));
    const admits: (() => Promise<void>)[] = [];
    for (const slot of due.run) {
      const made = await this.deps.prepare({ row: entry.row, trigger: entry.trigger, triggerKey: entry.key, slot });
      if (made) {
        claims.push(made.claim);
        admits.push(made.admit);
      } else claims.push({ slot, outcome: "missed" });
    }
    claims.sort((a, b) => a.slot - b.slot);
    const claimed = await this.deps.store.claimSlots(entry.row.namespace, entry.row.name, entry.key, claims, now);
    entry.lastSlot = Math.max(entry.lastSlot, claims[claims.length - 1]!.slot);
    // Lost to another engine (or an earlier claim): nothing of ours was stored, nothing starts.
    if (!claimed) return;
    if (due.missed.length) this.deps.warn("slots missed", { pipeline: `${entry.row.namespace}/${entry.row.name}`, trigger: entry.key, missed: due.missed.map((slot) => new Date(slot).toISOString()) });
    if (entry.schedule.fixedDelay && admits.length) entry.running = true;
    for (const admit of admits) await admit();
  }
}
