/**
 * Time triggers (cron, every, at) of applied pipelines: which slots are due,
 * which were missed while the engine was down or the machine slept, and
 * starting their runs. The maths is src/time (pure).
 *
 * Exactly once: a slot is claimed in the store together with its run, so it
 * starts at most one run across restarts and engines. Never early: a slot is
 * taken only once the clock, read again, has reached it (timers can fire a
 * little early). The wait between looks never exceeds MAX_WAIT_MS, so
 * suspend, resume and clock steps are noticed.
 *
 * On time at scale (bench/fire: 1,100 triggers due at the same instant):
 * - entries wait in a min-heap by the time they next need a look, so a look
 *   touches only what is due;
 * - a slot's run is made (definition planned, args checked, env files read)
 *   up to PREPARE_AHEAD_MS before the slot, one run per turn of the event
 *   loop; at the slot it is only stamped with its id and time. Making ahead
 *   only saves time: a slot whose run is not ready fires at its time anyway,
 *   and its run is made then;
 * - what is due at one instant is claimed CLAIM_CHUNK entries a
 *   transaction (see fire);
 * - runs are admitted after the claim, a few per turn of the event loop, so
 *   their start never holds up the next slot's timer for long, and their
 *   writes share commits (slot-admissions.ts).
 */
import type { PipelineDef, TriggerDef } from "../../definitions/schema.js";
import type { ClaimResult, DefinitionSeen, EventRow, MissedRow, MissedSlots, PipelineRow, RunRow, SlotClaim, Store } from "../../store/port.js";
import { isDiskFull } from "../../store/errors.js";
import { isTimeTrigger, MAX_WAIT_MS, missedSlots, scheduleOf, type TriggerSchedule } from "../../time/index.js";
import { MinHeap } from "../resources/min-heap.js";
import { triggerKey } from "../../store/schedule-keys.js";
import { SlotAdmissions } from "./slot-admissions.js";
import { catchupReason, MISSED_LISTED, missedRecord, pausedSlotClaims, withFailures } from "./missed-records.js";
import { slotStillToCome } from "./upcoming.js";
import { underwayKey, UnderwayTriggers, type Underway } from "./underway-triggers.js";

export interface ScheduledStart {
  row: PipelineRow;
  trigger: TriggerDef;
  triggerKey: string;
  slot: number;
}

/** A slot's run, made ahead of its slot; stamped (id, creation time) when the slot fires. */
export interface SlotRun {
  /** The definition it was made from: the store checks it with the claim (SlotClaim.madeFrom). */
  madeFrom: DefinitionSeen;
  /** The run and its `run.created` event, created at `now`. Called once. */
  stamp(now: number): { run: RunRow; event: Omit<EventRow, "seq"> };
  /** After the claim is stored: publish its stored event and admit the run. */
  admit(created: EventRow): Promise<void>;
}

/** Why a slot's run cannot be made (bad args, an env file missing): the slot is recorded as missed with it. */
export interface NoRun {
  error: string;
}

export interface SchedulerDeps {
  store: Store;
  now: () => number;
  defaultZone: string;
  prepare(start: ScheduledStart): Promise<SlotRun | NoRun>;
  /** A `missed` record was stored (publish it: notifications subscribe). */
  missed(record: MissedRow): void;
  /** A claim found the stored definitions changed since they were read (a notice not heard): read them all again. */
  definitionsChanged(): void;
  /** What a claim without a run made (slots missed, runs that could not be made) is checked against (SlotClaim.madeFrom). */
  seen(row: PipelineRow): Promise<DefinitionSeen>;
  warn(message: string, details: object): void;
  /** With engines sharing a store: whether this one leads now (a look that finds it no longer leads claims nothing). */
  leading?: () => boolean;
  /** Engines share the store: a run may end on another engine than the one that fired it. */
  shared: boolean;
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
  /** When its claim stored the run it waits for (a fixed delay). */
  runningSince?: number;
  /** The next slot and when it fires; undefined when none is left or a fixed delay waits for its run. */
  next?: { slot: number; fireAt: number };
  /** The next slot's run, made ahead. */
  ready?: { slot: number; made: SlotRun | NoRun };
  /** Dropped by a refresh: whatever is in flight for it is let go. */
  retired: boolean;
}

/** A look an entry waits for: to make its next slot's run ahead, or to fire it. Stale once the entry has moved on. */
interface Look {
  entry: Entry;
  next: { slot: number; fireAt: number };
  kind: "prepare" | "fire";
}

interface Due {
  entry: Entry;
  runs: number[];
  missed?: MissedSlots;
  /** Without a run made, what its slots were worked out from. */
  madeFrom?: DefinitionSeen | undefined;
}

/** A slot within this much of now is "on time", not missed, for `catchup: none`. */
const ON_TIME_GRACE_MS = 1_000;
/** How long before its slot a run is made: env files are read at most this early. */
const PREPARE_AHEAD_MS = 500;
/** After a failed claim (the store refused to write), the entries look again this much later. */
const RETRY_AFTER_MS = 1_000;

/** The store's upkeep (Store.maintain) is done after a look only when the next is at least this far off. */
const QUIET_MS = 50;
/** How long runs are made for in one turn of the event loop (see prepareQueued). */
const PREPARE_SLICE_MS = 1;
/** Entries claimed per store transaction (see fire): about 1 ms of the event loop each (bench/fire: 16 against 32 took its p99 from 5–7 to 3 ms). */
const CLAIM_CHUNK = 16;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Scheduler {
  private entries: Entry[] = [];
  private byPipeline = new Map<string, Entry[]>();
  /** Entries by the time they next need a look: to be prepared, or to fire. */
  private heap = new MinHeap<Look>();
  private readonly toPrepare: Look[] = [];
  private preparing = false;
  /** Claimed runs, admitted a few per turn of the event loop. */
  private readonly admissions = new SlotAdmissions({ stopped: () => this.stopped, lookIfDue: () => this.lookIfDue(), warn: (message, details) => this.deps.warn(message, details) });
  /** Claims still being stored, chunk by chunk. */
  private readonly claiming = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private ticking = false;
  /** The look under way, if any (stop() waits for it). */
  private looking: Promise<void> = Promise.resolve();
  private stopped = true;

  /** The runs under way, every engine's; and the ends of the runs a fixed delay waits for that end on another engine. */
  private readonly underwayTriggers: UnderwayTriggers;

  constructor(private readonly deps: SchedulerDeps) {
    this.underwayTriggers = new UnderwayTriggers({ store: deps.store, shared: deps.shared, now: deps.now, warn: deps.warn });
  }

  /**
   * (Re)reads the applied pipelines' time triggers; call after apply, delete,
   * pause and resume. One at a time, in order: several engines ask often
   * (each change anywhere, a lead change), and a read that ended after a
   * later one would put older definitions in place. A call while one waits
   * to begin shares it (it reads after the call): asks never pile up.
   */
  refresh(): Promise<void> {
    if (this.waitingRefresh) return this.waitingRefresh;
    const next: Promise<void> = this.refreshing.catch(() => undefined).then(() => {
      if (this.waitingRefresh === next) this.waitingRefresh = undefined;
      return this.refreshNow();
    });
    return (this.refreshing = this.waitingRefresh = next);
  }

  private refreshing: Promise<void> = Promise.resolve();
  private waitingRefresh: Promise<void> | undefined;

  private async refreshNow(): Promise<void> {
    this.underwayNow = undefined;
    const rows = await this.deps.store.listPipelines();
    const now = this.deps.now();
    const read: { row: PipelineRow; trigger: TriggerDef; key: string; schedule: TriggerSchedule; stored: number; underway?: Underway; lastEnd?: number }[] = [];
    for (const row of rows) {
      if (row.paused) continue;
      const definition = row.definition as PipelineDef;
      for (const [index, trigger] of definition.triggers.entries()) {
        if (!isTimeTrigger(trigger)) continue;
        const key = triggerKey(index, trigger.kind);
        const stored = await this.deps.store.ensureSchedule(row.namespace, row.name, key, now);
        try {
          const schedule = scheduleOf(trigger, { defaultZone: this.deps.defaultZone, anchor: stored.anchor, key: `${row.namespace}/${row.name}/${key}` });
          // A fixed delay waits for its run under way, as the store says at each refresh, whichever engine runs it:
          // a run handed to another engine (for its workers) or taken over ends there, and only the engine that ends
          // a run tells its own scheduler. A claim stores its run before the entry counts it as running.
          const underway = schedule.fixedDelay ? await this.underway() : undefined;
          // Not firing yet (this engine starts, or is about to lead): the end of the last run, which the engine that
          // fired it heard, is in the store only.
          const lastEnd = schedule.fixedDelay && (this.stopped || !this.find(row.namespace, row.name, key)) ? await this.lastEndOf(row, key) : undefined;
          read.push({ row, trigger, key, schedule, stored: stored.last_slot ?? stored.anchor, ...(underway ? { underway } : {}), ...(lastEnd !== undefined ? { lastEnd } : {}) });
        } catch (error) {
          this.deps.warn("a trigger cannot be scheduled", { pipeline: `${row.namespace}/${row.name}`, trigger: key, error: (error as Error).message });
        }
      }
    }
    // From here on nothing waits: the entries in place now, which claims may have moved on during the reads, are the previous ones.
    const entries: Entry[] = [];
    for (const { row, trigger, key, schedule, stored, underway, lastEnd } of read) {
      const previous = this.find(row.namespace, row.name, key);
      // A claim stored after the store was read counts as well.
      const running = underway !== undefined && (underway.keys.has(underwayKey(row.namespace, row.name, key)) || (previous?.running === true && (previous.runningSince ?? -Infinity) >= underway.readAt));
      // Ended without a word here: the delay counts from now, never from before its end.
      const ended = Math.max(previous?.lastFinished ?? -Infinity, lastEnd ?? -Infinity);
      const lastFinished = previous?.running && !running ? now : ended > -Infinity ? ended : undefined;
      const entry: Entry = { row, trigger, key, schedule, lastSlot: Math.max(stored, previous?.lastSlot ?? -Infinity), running, retired: false };
      if (previous?.running && running && previous.runningSince !== undefined) entry.runningSince = previous.runningSince;
      if (lastFinished !== undefined) entry.lastFinished = lastFinished;
      entries.push(entry);
      // A read begun before the run was stored may not see it: the wait starts after both.
      if (running) this.waitForEnd(entry, Math.max(underway.readAt, entry.runningSince ?? -Infinity));
    }
    for (const entry of this.entries) entry.retired = true;
    this.entries = entries;
    this.byPipeline = new Map();
    for (const entry of entries) {
      const pipeline = `${entry.row.namespace}/${entry.row.name}`;
      this.byPipeline.set(pipeline, [...(this.byPipeline.get(pipeline) ?? []), entry]);
    }
    this.heap = new MinHeap();
    this.toPrepare.length = 0;
    for (const entry of entries) this.plan(entry, now);
    this.arm();
  }

  /** When the newest finished run of a fixed delay ended (the engine that led before knew; this one reads it). */
  private async lastEndOf(row: PipelineRow, key: string): Promise<number | undefined> {
    const runs = await this.deps.store.listRuns({ namespace: row.namespace, pipeline: row.name, triggerKinds: ["every"], states: ["succeeded", "failed", "canceled", "skipped", "interrupted"], limit: 10 });
    return runs.find((run) => run.trigger.trigger_key === key)?.finished_at ?? undefined;
  }

  start(): void {
    this.stopped = false;
    // Refreshed while it did not lead: the runs its fixed delays wait for are waited for from now.
    for (const entry of this.entries) if (entry.running) this.waitForEnd(entry, this.deps.now());
    if (!this.preparing && this.toPrepare.length > 0) void this.prepareQueued();
    this.admissions.resume();
    this.arm();
  }

  /**
   * No more looks; resolves once the claims under way are stored. What they
   * claimed stays queued for the next start (a stopping engine), or with
   * `admitClaimed` is started now (an engine that goes on, but no longer
   * leads: the slots are its own, and no other engine would run them).
   */
  async stop(options: { admitClaimed?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.disarm();
    this.underwayTriggers.clear();
    // A look under way adds its claims only once it has made the runs it had not made ahead: wait for it first,
    // so that a slot claimed for one entry of the look is claimed for all of them.
    await this.looking.catch(() => undefined);
    await Promise.all(this.claiming);
    if (!options.admitClaimed) return;
    await this.admissions.admitAll();
  }

  /** A pipeline's time triggers as scheduled now: each one's key, schedule and next slot (GET /pipelines, `spire ls`, `spire next`). */
  scheduledOf(namespace: string, pipeline: string): { key: string; trigger: TriggerDef; schedule: TriggerSchedule; next?: { slot: number; fireAt: number } }[] {
    const now = this.deps.now();
    return (this.byPipeline.get(`${namespace}/${pipeline}`) ?? []).map((entry) => {
      const next = this.upcoming(entry, now);
      return { key: entry.key, trigger: entry.trigger, schedule: entry.schedule, ...(next ? { next } : {}) };
    });
  }

  /**
   * The next slot as shown. The engine that leads shows the one its timers
   * wait for; one that does not lead fires nothing, and its plan goes by
   * while the leader fires those slots (see slotStillToCome).
   */
  private upcoming(entry: Entry, now: number): { slot: number; fireAt: number } | undefined {
    const { next } = entry;
    return !this.stopped || next === undefined || next.fireAt > now ? next : slotStillToCome(entry.schedule, next, entry.trigger.jitter ?? 0, now);
  }

  /** A paused pipeline is resumed: the slots passed meanwhile are recorded as missed (pausedSlotClaims). Call before refresh(). */
  async resumed(row: PipelineRow, at: number): Promise<void> {
    const claims = await pausedSlotClaims(this.deps.store, this.deps.defaultZone, row, at);
    if (claims.length === 0) return;
    for (const result of await this.deps.store.claimSlots(claims, at)) if (result.missed) this.deps.missed(result.missed);
  }

  /** The triggers with a run queued or running now (any engine's): read once a refresh, when a fixed delay is scheduled. */
  private underwayNow: Promise<Underway> | undefined;

  private underway(): Promise<Underway> {
    this.underwayNow ??= this.underwayTriggers.read();
    return this.underwayNow;
  }

  /**
   * A fixed delay's run may end on another engine, which tells only its own
   * scheduler: the store is asked until it has no run of the trigger under
   * way (nothing is asked without a shared store). An end heard here first,
   * or a later run, is told apart by when the read began.
   */
  private waitForEnd(entry: Entry, since: number): void {
    // Only the leader fires: one that does not lead waits for nothing (start() waits for what is under way then).
    if (this.stopped) return;
    const { namespace, name } = entry.row;
    this.underwayTriggers.wait(underwayKey(namespace, name, entry.key), since, (readAt) => {
      const waiting = this.find(namespace, name, entry.key);
      if (waiting?.running && (waiting.runningSince ?? -Infinity) < readAt) this.finished(namespace, name, entry.key, this.deps.now());
    });
  }

  /** A run ended here: it ran, or was canceled or refused while it waited (a fixed delay counts from either). */
  runEnded(run: Pick<RunRow, "namespace" | "pipeline" | "trigger">, at: number): void {
    const key = run.trigger.trigger_key;
    if (typeof key === "string") this.finished(run.namespace, run.pipeline, key, at);
  }

  /** For `every … after_finish`: the run of that trigger finished, the delay counts from now. */
  finished(namespace: string, pipeline: string, triggerKey: string, at: number): void {
    const entry = this.find(namespace, pipeline, triggerKey);
    // Only a fixed delay waits for its run; any other entry is already waiting for its next slot
    // (and a thousand runs finishing a second must not re-arm the timer a thousand times).
    if (!entry?.schedule.fixedDelay) return;
    entry.running = false;
    entry.lastFinished = at;
    if (entry.next === undefined) this.plan(entry, this.deps.now());
    this.arm();
  }

  private find(namespace: string, pipeline: string, triggerKey: string): Entry | undefined {
    return this.byPipeline.get(`${namespace}/${pipeline}`)?.find((entry) => entry.key === triggerKey);
  }

  // ── waiting ──────────────────────────────────────────────────────────────

  /** Works out an entry's next slot: it fires at its time, and its run is made ahead. */
  private plan(entry: Entry, now: number): void {
    const next = this.nextSlot(entry);
    entry.next = next;
    if (entry.ready && entry.ready.slot !== next?.slot) delete entry.ready;
    if (!next) return;
    this.heap.push(next.fireAt, { entry, next, kind: "fire" });
    const prepareAt = next.fireAt - PREPARE_AHEAD_MS;
    if (prepareAt > now) this.heap.push(prepareAt, { entry, next, kind: "prepare" });
    else this.queuePreparation({ entry, next, kind: "prepare" });
  }

  private nextSlot(entry: Entry): { slot: number; fireAt: number } | undefined {
    if (entry.schedule.fixedDelay && entry.running) return undefined;
    const after = entry.schedule.fixedDelay ? Math.max(entry.lastFinished ?? entry.lastSlot, entry.lastSlot) : entry.lastSlot;
    const slot = entry.schedule.next(after);
    return slot === undefined ? undefined : { slot, fireAt: entry.schedule.fireAt(slot) };
  }

  private disarm(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.timer = undefined;
  }

  /** Sets the one timer for the heap's first entry (or a look in MAX_WAIT_MS). */
  private arm(): void {
    // A look in progress arms the timer when it ends.
    if (this.stopped || this.ticking) return;
    this.disarm();
    const first = this.heap.peekKey();
    const wait = first === undefined ? MAX_WAIT_MS : first - this.deps.now();
    // setTimeout can wake up to a millisecond early (libuv keeps a cached
    // millisecond clock): the last millisecond is waited out turn by turn.
    if (wait <= 1) this.timer = setImmediate(() => void this.tick());
    // Never longer than MAX_WAIT_MS: a suspended machine or a stepped clock is noticed at the next look.
    else this.timer = setTimeout(() => void this.tick(), Math.min(wait - 1, MAX_WAIT_MS));
  }

  /**
   * Called between the pieces of work done in the background (claims,
   * admissions, making runs): a look that has come due runs now. Its timer
   * would wait for the rest of the event loop's turn, and each kind of work
   * takes its own piece per turn.
   */
  private lookIfDue(): void {
    if (this.stopped || this.ticking) return;
    const first = this.heap.peekKey();
    if (first === undefined || first > this.deps.now()) return;
    this.disarm();
    void this.tick();
  }

  private tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return Promise.resolve();
    this.looking = this.look();
    return this.looking;
  }

  private async look(): Promise<void> {
    this.ticking = true;
    try {
      const now = this.deps.now();
      const due: Entry[] = [];
      while ((this.heap.peekKey() ?? Infinity) <= now) {
        const look = this.heap.pop()!;
        if (look.entry.retired || look.entry.next !== look.next) continue;
        if (look.kind === "prepare") this.queuePreparation(look);
        // At most one fire look per entry is current: plan, postponing and retrying each replace the one popped.
        else due.push(look.entry);
      }
      if (due.length > 0) await this.fire(due);
    } finally {
      this.ticking = false;
    }
    this.arm();
    // Right after a look, with the next one far enough away: the store's upkeep delays nothing due.
    if ((this.heap.peekKey() ?? Infinity) - this.deps.now() >= QUIET_MS) this.deps.store.maintain?.();
  }

  // ── making runs ahead ────────────────────────────────────────────────────

  private queuePreparation(look: Look): void {
    this.toPrepare.push(look);
    if (!this.preparing) void this.prepareQueued();
  }

  /**
   * PREPARE_SLICE_MS of making runs per turn of the event loop: a timer due
   * meanwhile is not held up for long, and a slot's run is ready in time even
   * while the loop is busy admitting runs (a run per turn was not: 100 runs
   * to make every 100 ms took ten times that).
   */
  private async prepareQueued(): Promise<void> {
    this.preparing = true;
    try {
      let sliceEnd = performance.now() + PREPARE_SLICE_MS;
      while (!this.stopped && this.toPrepare.length > 0) {
        const { entry, next } = this.toPrepare.shift()!;
        if (entry.retired || entry.next !== next || entry.ready?.slot === next.slot) continue;
        const made = await this.make(entry, next.slot);
        // Fired meanwhile (its run was made then): this one is not needed.
        if (!entry.retired && entry.next === next) entry.ready = { slot: next.slot, made };
        if (performance.now() < sliceEnd) continue;
        await yieldToLoop();
        this.lookIfDue();
        sliceEnd = performance.now() + PREPARE_SLICE_MS;
      }
    } finally {
      this.preparing = false;
    }
  }

  private async make(entry: Entry, slot: number): Promise<SlotRun | NoRun> {
    try {
      return await this.deps.prepare({ row: entry.row, trigger: entry.trigger, triggerKey: entry.key, slot });
    } catch (error) {
      this.deps.warn("a scheduled run could not be made", { pipeline: `${entry.row.namespace}/${entry.row.name}`, trigger: entry.key, error: (error as Error).message });
      return { error: (error as Error).message };
    }
  }

  // ── firing ───────────────────────────────────────────────────────────────

  /**
   * Stamps what is due for these entries with one instant, then claims it
   * CLAIM_CHUNK entries per transaction, a turn of the event loop apart, and
   * admits each chunk's runs once it is stored. The chunks go on after the
   * look has ended: a timer due meanwhile fires between them, on time, where
   * one transaction for everything would hold it up (a whole second's 1,100
   * claims take 35–100 ms). The entries of a chunk have no look in the heap
   * until it is stored, so none is claimed twice at once.
   */
  private async fire(entries: Entry[]): Promise<void> {
    const dues: Due[] = [];
    for (const entry of entries) {
      const due = this.dueOf(entry, this.deps.now());
      if ("postpone" in due) this.heap.push(due.postpone, { entry, next: entry.next!, kind: "fire" });
      else if (due.runs.length > 0 || due.missed) dues.push(due);
      // Nothing due after all (a fixed delay's run is still going): it waits for its next slot as usual.
      else this.replan(entry, this.deps.now());
    }
    // Runs not made ahead (catch-up, a slot that came due while its run was being made) are made now.
    const made = new Map<Due, (SlotRun | NoRun)[]>();
    for (const due of dues) {
      const runs: (SlotRun | NoRun)[] = [];
      for (const slot of due.runs) runs.push(due.entry.ready?.slot === slot ? due.entry.ready.made : await this.make(due.entry, slot));
      made.set(due, runs);
      // Recorded as missed from a definition changed meanwhile, the slots would be lost: the claim is checked all the same.
      if (!runs.some((run) => "madeFrom" in run)) due.madeFrom = await this.deps.seen(due.entry.row).catch(() => undefined);
    }
    // The instant the runs are created: everything slow was done before it.
    const now = this.deps.now();
    const stamped = dues.map((due) => ({ due, ...this.claimOf(due, made.get(due)!, now) }));
    // A claim the store refuses is retried inside; anything else thrown is a bug, said and not left unhandled.
    const claiming = this.claimInChunks(stamped, now).catch((error: Error) => this.deps.warn("slots could not be claimed", { error: error.message }));
    this.claiming.add(claiming);
    void claiming.then(() => this.claiming.delete(claiming));
  }

  private async claimInChunks(stamped: { due: Due; claim: SlotClaim; runs: SlotRun[] }[], now: number): Promise<void> {
    for (let start = 0; start < stamped.length; start += CLAIM_CHUNK) {
      if (start > 0) {
        await yieldToLoop();
        this.lookIfDue();
      }
      const chunk = stamped.slice(start, start + CLAIM_CHUNK);
      // Lost the lead meanwhile: the store would refuse slots another engine claimed, but there is no need to ask it.
      if (this.deps.leading?.() === false) return;
      let results: ClaimResult[];
      try {
        results = await this.deps.store.claimSlots(
          chunk.map((one) => one.claim),
          now,
        );
      } catch (error) {
        // A full disk is said once by the store, not once a second here.
        if (!isDiskFull(error)) this.deps.warn("slots could not be claimed; looking again shortly", { error: (error as Error).message, triggers: chunk.length });
        for (const { due } of chunk) this.heap.push(this.deps.now() + RETRY_AFTER_MS, { entry: due.entry, next: due.entry.next!, kind: "fire" });
        this.arm();
        continue;
      }
      chunk.forEach(({ due, claim, runs }, index) => this.claimed(due, claim, results[index]!, runs));
      for (const { due } of chunk) this.replan(due.entry, now);
      this.admissions.resume();
      this.arm();
    }
  }

  /** An entry's slot was claimed (or turned out to be nothing to claim): on to its next one. */
  private replan(entry: Entry, now: number): void {
    delete entry.ready;
    if (!entry.retired) this.plan(entry, now);
  }

  /** The slots of an entry to run and to record as missed, or when to look again (a jittered slot not yet due). */
  private dueOf(entry: Entry, now: number): Due | { postpone: number } {
    const next = entry.next!;
    if (entry.schedule.fixedDelay) return { entry, runs: [next.slot] };
    const definition = entry.row.definition as PipelineDef;
    const grace = ON_TIME_GRACE_MS + (entry.trigger.jitter ?? 0);
    const following = entry.schedule.next(next.slot);
    // The usual case: one slot due, on time.
    if ((following === undefined || following > now) && (definition.catchup !== "none" || now - next.slot <= grace)) return { entry, runs: [next.slot] };
    const due = missedSlots(entry.schedule, entry.lastSlot, now, definition.catchup, definition.catchup_limit, { grace, maxListed: MISSED_LISTED });
    const newest = due.run[due.run.length - 1];
    // A jittered slot fires a little after its time; it is not claimed before that.
    if (newest !== undefined && entry.schedule.fireAt(newest) > now) return { postpone: entry.schedule.fireAt(newest) };
    if (due.missed.length === 0) return { entry, runs: due.run };
    return { entry, runs: due.run, missed: missedRecord(entry.schedule, entry.lastSlot, due, catchupReason(definition)) };
  }

  /** The claim of one entry: its runs stamped at `now`; slots whose run could not be made join the missed record. */
  private claimOf(due: Due, made: (SlotRun | NoRun)[], now: number): { claim: SlotClaim; runs: SlotRun[] } {
    const { entry } = due;
    const claim: SlotClaim = { namespace: entry.row.namespace, pipeline: entry.row.name, trigger_key: entry.key, runs: [], ...(due.madeFrom ? { madeFrom: due.madeFrom } : {}) };
    const runs: SlotRun[] = [];
    const failed: { slot: number; error: string }[] = [];
    due.runs.forEach((slot, index) => {
      const run = made[index]!;
      if ("error" in run) return void failed.push({ slot, error: run.error });
      claim.runs.push({ slot, ...run.stamp(now) });
      runs.push(run);
      claim.madeFrom = run.madeFrom;
    });
    const missed = withFailures(due.missed, failed);
    if (missed) claim.missed = missed;
    return { claim, runs };
  }

  private claimed(due: Due, claim: SlotClaim, result: ClaimResult, runs: SlotRun[]): void {
    const { entry } = due;
    // Lost to another engine (or an earlier claim), nothing of ours was stored: the refusal may be for our
    // oldest slots alone ([55…59] against a stored 57), so the entry goes on from what is stored and 58 and
    // 59 are claimed at the next look, not skipped. (The stored slot is newer than entry.lastSlot, which the
    // claim's slots followed, so the entry still moves on.)
    const newest = !result.claimed && result.last_slot !== undefined ? result.last_slot : Math.max(claim.runs[claim.runs.length - 1]?.slot ?? -Infinity, claim.missed?.last_slot ?? -Infinity);
    if (result.changed) {
      // Made from a definition paused, removed or changed meanwhile: nothing was stored, and the slot waits for the new one.
      entry.retired = true;
      return this.deps.definitionsChanged();
    }
    if (newest > -Infinity) entry.lastSlot = Math.max(entry.lastSlot, newest);
    if (!result.claimed) return;
    if (result.missed) {
      const { count, first_slot, last_slot, reason } = result.missed;
      this.deps.warn("slots missed", { pipeline: `${entry.row.namespace}/${entry.row.name}`, trigger: entry.key, count, first: new Date(first_slot).toISOString(), last: new Date(last_slot).toISOString(), reason });
      this.deps.missed(result.missed);
    }
    // A refresh may have put a new entry in its place meanwhile: that one waits for the run.
    const waiting = entry.retired ? this.find(entry.row.namespace, entry.row.name, entry.key) : entry;
    if (waiting?.schedule.fixedDelay && runs.length) {
      Object.assign(waiting, { running: true, runningSince: this.deps.now() });
      this.waitForEnd(waiting, waiting.runningSince!);
    }
    runs.forEach((run, index) => this.admissions.add(run, result.events[index]!));
  }
}
