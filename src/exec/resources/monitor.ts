/**
 * Samples the process trees of running attempts: one timer and one read of
 * the process table for all of them, so that many long tasks cost one scan
 * per tick, and a task shorter than the first sample costs no scan at all
 * (its figures come from its reap).
 *
 * Each attempt is sampled 20 ms after its spawn, then at growing intervals
 * up to 250 ms (100 ms when it has limits: a runaway allocation is caught
 * sooner). A task that ends sooner has its figures all the same from its
 * reap: its rusage with the native spawner (CPU, and the peak RSS of the
 * leader and what it waited for), the reap meter's CPU with Node's (and no
 * memory figure); sampling every short task would cost more than it tells. Attempts due within half their interval are sampled together,
 * so their phases converge onto shared ticks; but never before their first
 * sample is due (most tasks end within it).
 *
 * The tree of an attempt: its process group, everything descended from a
 * member (by parent links: setsid/setpgid children), members seen before
 * wherever they moved, and, every few seconds, processes carrying its
 * SPIRE_EXEC_ID entry (what was re-parented to init before we saw it).
 */
import { envCandidates, membersOf, pidsByEnvEntry, signalGroup, type ProcInfo, type TreeRoot } from "../process-tree.js";
import { probeForThisSystem, reapMeterOfThisProcess } from "./system.js";
import type { ProcessCpu, TreeUsage, UsageProbe } from "./port.js";
import type { ReapMeter } from "./reap-meter.js";
import type { ReapedUsage } from "../spawner/port.js";
import { TreeAccount, type Member } from "./tree-account.js";

const FIRST_SAMPLE_MS = 20;
const MAX_INTERVAL_MS = 250;
const MAX_INTERVAL_WITH_LIMITS_MS = 100;
/** Scanning every environment costs several ms: only for attempts older than this, and at most this often (one scan serves all). */
const ENV_SCAN_AFTER_MS = 1_000;
const ENV_SCAN_EVERY_MS = 5_000;

export interface TrackOptions {
  /** The leader's pid, which is also the group's id. */
  pgid: number;
  /** "SPIRE_EXEC_ID=…" of the attempt. */
  execEntry: string;
  /** Limits apply: sample more often. */
  limited: boolean;
  /** After each sample (not after the final figure): where limits are checked. */
  onSample(usage: TreeUsage): void;
}

export class Tracker implements TreeRoot {
  readonly account: TreeAccount;
  /** Resolves once the leader's final CPU figure is in (at once when the leader has not exited yet). */
  measured: Promise<void> = Promise.resolve();
  readonly #options: TrackOptions;
  readonly #monitor: ResourceMonitor;
  #interval = FIRST_SAMPLE_MS;
  dueAt: number;
  envDueAt: number;
  #lastSampleAt: number;
  #groupGone = false;
  #leaderStartTime: number | undefined;
  /** Nothing left to sample: the leader is gone and nothing of its tree is known to run. */
  idle = false;

  constructor(options: TrackOptions, monitor: ResourceMonitor, now: number) {
    this.#options = options;
    this.#monitor = monitor;
    this.account = new TreeAccount(options.pgid);
    this.#lastSampleAt = now;
    this.dueAt = now + FIRST_SAMPLE_MS;
    this.envDueAt = now + ENV_SCAN_AFTER_MS;
  }

  get interval(): number {
    return this.#interval;
  }

  get execEntry(): string {
    return this.#options.execEntry;
  }

  /** TreeRoot: the group, unless it is gone. */
  get pgid(): number | undefined {
    return this.#groupGone ? undefined : this.#options.pgid;
  }

  /** TreeRoot: the leader's start time, once a sample saw it. */
  get leaderStartTime(): number | undefined {
    return this.#leaderStartTime;
  }

  sample(table: readonly ProcessCpu[], marked: ReadonlySet<number>, now: number): void {
    const { pgid } = this.#options;
    const members = membersOf(table, { pgid: this.#groupGone ? undefined : pgid, known: this.account.members, marked });
    if (this.#leaderStartTime === undefined && !this.account.leaderEnded) {
      const leader = members.find((member) => member.pid === pgid);
      if (leader !== undefined) this.#leaderStartTime = Number(leader.startTime);
    }
    this.account.observe(members.map((member) => this.#withMemory(member)));
    // An empty group never fills again: its number may now be reused by an unrelated process.
    if (this.account.leaderEnded && !members.some((member) => member.pgid === pgid)) this.#groupGone = true;
    this.#lastSampleAt = now;
    this.#interval = Math.min(this.#interval * 2, this.#options.limited ? MAX_INTERVAL_WITH_LIMITS_MS : MAX_INTERVAL_MS);
    this.dueAt = now + this.#interval;
    if (this.account.leaderEnded && this.#groupGone && members.length === 0) this.idle = true;
    this.#options.onSample(this.account);
  }

  /**
   * Call from the leader's 'exit', before anything else of the group is
   * signalled: reads what is left of the tree now; the leader's final
   * figures are `reaped` (its rusage, where the spawner tells), else the
   * reap meter's.
   */
  leaderExited(reaped?: ReapedUsage): void {
    const now = Date.now();
    const { pgid } = this.#options;
    const probe = this.#monitor.probe;
    const leader = { sampledMs: this.account.leaderSampledMs, treeSampledMs: this.account.liveSampledMs, unsampledMs: now - this.#lastSampleAt };
    this.account.leaderEnded = true;
    const reapMeter = this.#monitor.reapMeter;
    // After the last look below (a microtask later): what the leader waited for is then in its figure alone.
    if (reaped !== undefined) reapMeter.accounted(reaped.cpuMs);
    this.measured =
      reaped !== undefined
        ? Promise.resolve().then(() => this.account.leaderReaped(reaped.cpuMs, reaped.peakRssBytes))
        : reapMeter.reaped(leader).then((finalMs) => this.account.leaderReaped(finalMs));
    if (!this.account.sampled) {
      // Ended before its first sample (most short tasks): nothing was counted that the leader's figure holds,
      // so there is nothing to correct; what it left running, if anything, is killed now, unmeasured.
      this.idle = true;
      return;
    }
    this.#groupGone = !signalGroup(pgid, 0);
    const escaped = [...this.account.members].some((member) => member.pgid !== pgid);
    if (this.#groupGone && !escaped) {
      this.account.observe([]); // what the leader waited for is now in its own figure
      this.idle = true;
    } else if (probe.processesNow !== undefined) {
      this.sample(probe.processesNow(new Set(this.watched())), new Set(), now);
    }
  }

  /** The pids whose figures must be fresh at this tracker's next sample. */
  watched(): number[] {
    return [this.#options.pgid, ...[...this.account.members].map((member) => member.pid)];
  }

  #withMemory(info: ProcessCpu): Member {
    const memory = info.state === "Z" ? undefined : this.#monitor.probe.memory(info.pid);
    return { ...info, rssBytes: memory?.rssBytes ?? 0, peakRssBytes: memory?.peakRssBytes ?? 0 };
  }
}

export class ResourceMonitor {
  readonly probe: UsageProbe;
  readonly reapMeter: ReapMeter;
  readonly #tracked = new Set<Tracker>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #sampling = false;
  #nextEnvScanAt = 0;

  constructor(probe: UsageProbe = probeForThisSystem(), reapMeter: ReapMeter = reapMeterOfThisProcess()) {
    this.probe = probe;
    this.reapMeter = reapMeter;
  }

  /** Call right after the spawn, in the same turn. */
  track(options: TrackOptions): Tracker {
    this.reapMeter.prime();
    const tracker = new Tracker(options, this, Date.now());
    this.#tracked.add(tracker);
    this.#arm();
    return tracker;
  }

  /** Stops sampling the attempt; its figures, those that were measured. */
  untrack(tracker: Tracker): { cpuMs?: number; peakRssBytes?: number } {
    this.#tracked.delete(tracker);
    if (this.#tracked.size === 0) this.#disarm();
    const { cpuMs, peakRssBytes, measured, memoryMeasured } = tracker.account;
    return { ...(measured ? { cpuMs: Math.round(cpuMs) } : {}), ...(memoryMeasured ? { peakRssBytes } : {}) };
  }

  #arm(): void {
    if (this.#sampling) return;
    let next = Infinity;
    for (const tracker of this.#tracked) if (!tracker.idle && tracker.dueAt < next) next = tracker.dueAt;
    if (next === Infinity) return this.#disarm();
    if (this.#timer !== undefined && this.#timerAt <= next) return;
    this.#disarm();
    this.#timerAt = next;
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, next - Date.now()));
    this.#timer.unref(); // the attempts' own handles keep the process alive
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    // A first sample is never early: most tasks end within it, and their figures come from the reap alone.
    const due = [...this.#tracked].filter((tracker) => !tracker.idle && tracker.dueAt - now <= (tracker.account.sampled ? tracker.interval / 2 : 0));
    if (due.length === 0) return this.#arm();
    this.#sampling = true;
    try {
      const scanEnv = now >= this.#nextEnvScanAt && due.some((tracker) => tracker.envDueAt <= now);
      const table = await this.probe.processes(new Set(due.flatMap((tracker) => tracker.watched())));
      const marked = scanEnv ? this.#markedProcesses(now, table) : new Map<string, Set<number>>();
      const at = Date.now();
      for (const tracker of due) if (this.#tracked.has(tracker) && !tracker.idle) tracker.sample(table, marked.get(tracker.execEntry) ?? new Set(), at);
    } catch {
      // a failed read leaves the figures as they were; the next tick tries again
    } finally {
      this.#sampling = false;
      this.#arm();
    }
  }

  /** Pids carrying each attempt's entry, found by one scan of the environments of the processes younger than the leaders. */
  #markedProcesses(now: number, table: readonly ProcInfo[]): Map<string, Set<number>> {
    this.#nextEnvScanAt = now + ENV_SCAN_EVERY_MS;
    let prefix: string | undefined;
    for (const tracker of this.#tracked) {
      if (tracker.envDueAt <= now) tracker.envDueAt = now + ENV_SCAN_EVERY_MS;
      prefix = tracker.execEntry.slice(0, tracker.execEntry.indexOf("=") + 1); // the same variable for all
    }
    return prefix === undefined ? new Map() : pidsByEnvEntry(prefix, envCandidates(table, this.#tracked));
  }
}
