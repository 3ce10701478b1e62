/**
 * The last line of "no descendant survives": a process that left the
 * group, closed its output and was re-parented (a classic daemon) is
 * invisible when its attempt ends normally, and is killed here.
 *
 * Reading every environment of the machine, once a second while tasks end,
 * cost N reads a second (N: every process of the machine; thousands on a
 * desktop, several reads per task in bench/dag). The ends of the last 50 ms
 * are looked at together, in a window of pids instead. Linux hands out pids in cyclic order, and
 * the last one given ends /proc/loadavg; every descendant of a leader got
 * its pid after the leader's, so once the attempt's group is gone, what is
 * left of it runs outside the group with a pid between its leader's and the
 * last one. In that window the leaders this executor started are skipped (a
 * pid is given once in a wrap-round, so that number is that leader's), the
 * other pids are read (most are gone: one failed open), and the environment
 * only of a live process not seen before. A descendant may fork and die
 * between the read of the last pid and the look at its own: so when a pid
 * was read, the last pid is read again, and the window extended to it,
 * until nothing new was given. On a machine that starts nothing else, the
 * look after the ends of 20 no-op tasks reads /proc/loadavg and nothing more.
 *
 * All this holds while no pid was given twice since the oldest leader was
 * asked for: pid-cursor.ts counts them, from reads of the last pid made at
 * these looks, and at spawns and ends when none was made just before.
 *
 * The full look, about a second later (one for all the attempts that ended
 * meanwhile), stays where the window proves nothing: a group that would not
 * end, pids not counted since the leader was asked for (a long task with
 * nothing else going on), a window with more pids to read than the machine
 * has processes; and after a look that killed something (it may have forked
 * meanwhile).
 */
import { environLook, HAS_PROC, listPids, processesWithEnvPrefix, processKey, readProcStatSync, signalProcess } from "./process-tree.js";
import { PidCursor } from "./pid-cursor.js";

/** The windows of the attempts ended meanwhile are looked at together (and leaders still starting by then have their pids). */
const LOOK_DELAY_MS = 50;
const SWEEP_DELAY_MS = 1000;
/** A window this small is read whatever the machine's size (listing /proc to compare costs about as much). */
const SMALL_WINDOW = 64;
/** Reads of the last pid before a window gives up for the full look. */
const MOST_ROUNDS = 8;
/** Bound on the processes remembered as read. */
const MOST_REMEMBERED = 10_000;
/** A process caught in the middle of an exec is read again this much later, at most this many times. */
const UNSETTLED_RETRY_MS = 20;
const UNSETTLED_RETRIES = 10;
/** Window looks that find a process mid-exec before it is taken for unmarked (an exec is through in well under a look's time). */
const UNSETTLED_LOOKS = 3;

/** An attempt's leader: its pid, and performance.now() just before it was asked for (the pid is no older). */
export interface Leader {
  pid: number;
  requestedAt: number;
}

/** What an ended attempt needs: a look at its window of pids (its group was seen gone), or at every process. */
export type StrayLook = "window" | "full";

export interface StraySweepOptions {
  /** Whether the attempt with this environment entry still runs (its processes are its own). */
  isRunning(entry: string): boolean;
  /** The leaders of the attempts running now. */
  runningLeaders(): Iterable<Leader>;
}

export class StraySweep {
  readonly #prefix: string;
  readonly #options: StraySweepOptions;
  /** Counts the pids given since a leader was asked for: fewer than half of pid_max, and none was given twice. */
  readonly #cursor = new PidCursor();
  #lookTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  /** Leaders of ended attempts that a later window may hold (asked for after the oldest running one). */
  #ended: Leader[] = [];
  /** Ended with their group seen gone, waiting for the next look at their window. */
  #pending: Leader[] = [];
  /** The exec entry (or null: none of this executor's) of processes already read, by processKey. */
  #entries = new Map<string, string | null>();
  /** Processes read mid-exec, by processKey: how many looks found them so. */
  #unsettledSeen = new Map<string, number>();
  /** Number of processes at the last listing: a window with more pids to read costs more than a full look. */
  #processCount = 0;

  /** `prefix`: the start of every environment entry of this executor ("SPIRE_EXEC_ID=<executor>."). */
  constructor(prefix: string, options: StraySweepOptions) {
    this.#prefix = prefix;
    this.#options = options;
  }

  /** An attempt is about to be spawned: the pids given since must be countable (a read of the last pid, unless one was just made). */
  spawning(): void {
    if (HAS_PROC && !this.#cursor.fresh) this.#cursor.read();
  }

  /** An attempt ended (and is no longer running): what is left of it is killed soon. */
  ended(leader: Leader, look: StrayLook): void {
    if (!HAS_PROC) return;
    if (!this.#cursor.fresh) this.#cursor.read(); // keeps the count going through a long batch
    this.#ended.push(leader);
    if (look === "full") return this.#sweepSoon();
    this.#pending.push(leader);
    this.#lookTimer ??= setTimeout(() => this.#look(), LOOK_DELAY_MS).unref();
  }

  /** Runs now the looks that are due (shutdown: every attempt has ended). */
  flush(): void {
    if (this.#lookTimer !== undefined) this.#look();
    if (this.#sweepTimer !== undefined) this.sweep();
  }

  /** Kills strays now, looking at every process. */
  sweep(): void {
    clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    const pids = listPids();
    this.#processCount = pids.length;
    this.#killMarked(pids, 0);
    this.#forgetLeaders([...this.#options.runningLeaders()]);
  }

  /** Kills the processes among `pids` marked by an attempt no longer running; those caught mid-exec are read again soon. */
  #killMarked(pids: readonly number[], retries: number): void {
    const unsettled: number[] = [];
    for (const { info, entry } of processesWithEnvPrefix(this.#prefix, pids, unsettled)) if (!this.#options.isRunning(entry)) signalProcess(info, "SIGKILL");
    if (unsettled.length > 0 && retries < UNSETTLED_RETRIES) setTimeout(() => this.#killMarked(unsettled, retries + 1), UNSETTLED_RETRY_MS).unref();
  }

  #sweepSoon(): void {
    this.#sweepTimer ??= setTimeout(() => this.sweep(), SWEEP_DELAY_MS).unref();
  }

  /** One look at the window of every attempt ended since the last; the full look where that proves nothing. */
  #look(): void {
    clearTimeout(this.#lookTimer);
    this.#lookTimer = undefined;
    const pending = this.#pending;
    this.#pending = [];
    const running = [...this.#options.runningLeaders()];
    if (!this.#lookAtWindow(pending, running)) this.#sweepSoon();
    this.#forgetLeaders(running);
  }

  /** Drops the ended leaders no later window can hold: a later window begins with an attempt running now (or one still starting, whose window then skips fewer leaders). */
  #forgetLeaders(running: readonly Leader[]): void {
    const oldest = Math.min(performance.now(), ...this.#pending.map((leader) => leader.requestedAt), ...running.map((leader) => leader.requestedAt));
    this.#ended = this.#ended.filter((leader) => leader.requestedAt >= oldest);
  }

  /** Looks at the pids handed out since the oldest of these leaders'; false when only a full look can tell. */
  #lookAtWindow(pending: readonly Leader[], running: readonly Leader[]): boolean {
    if (pending.length === 0) return true;
    const since = Math.min(...pending.map((leader) => leader.requestedAt));
    // Leaders asked for after that got their pids after it: in the window, those numbers are theirs.
    const leaders = new Set([...this.#ended, ...running].filter((other) => other.requestedAt >= since).map((other) => other.pid));
    leaders.add(process.pid);
    const pidMax = this.#cursor.pidMax;
    const first = this.#cursor.read();
    if (first === undefined) return false;
    // The window begins after the leader given its pid first: the one most pids ago.
    const pidsAgo = (pid: number) => (first - pid + pidMax) % pidMax;
    let from = pending.reduce((oldest, leader) => (pidsAgo(leader.pid) > pidsAgo(oldest) ? leader.pid : oldest), pending[0]!.pid);
    for (let round = 0, last: number | undefined = first; round < MOST_ROUNDS; round++, last = this.#cursor.read()) {
      const given = this.#cursor.givenSince(since);
      if (last === undefined || given === undefined || given > pidMax / 2) return false;
      const span = (last - from + pidMax) % pidMax;
      const toRead: number[] = [];
      for (let step = 1; step <= span; step++) {
        const pid = ((from + step - 1) % pidMax) + 1;
        if (!leaders.has(pid)) toRead.push(pid);
      }
      if (toRead.length === 0) return true;
      if (toRead.length > SMALL_WINDOW && toRead.length > (this.#processCount ||= listPids().length)) return false;
      const { killed, someEnded, unsettled } = this.#killStraysAmong(toRead);
      if (killed || unsettled) return false; // what it forked meanwhile, or what it is becoming: the full look
      // Only a process that ended since the read of the last pid may have left a younger one.
      if (!someEnded) return true;
      from = last;
    }
    return false; // the machine hands out pids faster than they are read
  }

  /** Kills the processes among `pids` that carry the entry of an attempt no longer running: whether there were any, whether some pid had ended, and whether one was caught mid-exec (its entry unknown). */
  #killStraysAmong(pids: readonly number[]): { killed: boolean; someEnded: boolean; unsettled: boolean } {
    if (this.#entries.size > MOST_REMEMBERED) this.#entries.clear();
    if (this.#unsettledSeen.size > MOST_REMEMBERED) this.#unsettledSeen.clear();
    let killed = false;
    let someEnded = false;
    let unsettled = false;
    for (const pid of pids) {
      const info = readProcStatSync(pid)?.info;
      if (info === undefined || info.state === "Z") {
        someEnded = true;
        continue;
      }
      // A child of this process is a leader still starting: descendants of a task are never re-parented here.
      if (info.ppid === process.pid) continue;
      const key = processKey(info);
      let entry = this.#entries.get(key);
      // A process holds its entry from its fork on (inherited), so one read tells for its whole life.
      if (entry === undefined) {
        const look = environLook(pid, this.#prefix);
        if (look === "gone") {
          someEnded = true;
          continue;
        }
        // Not remembered: the entry it holds is known only once its exec is through. One that stays so look after look
        // (an environment the kernel has set out but cannot show) is taken for unmarked, not looked at for good.
        if (look === "unsettled") {
          const seen = (this.#unsettledSeen.get(key) ?? 0) + 1;
          this.#unsettledSeen.set(key, seen);
          if (seen < UNSETTLED_LOOKS) {
            unsettled = true;
            continue;
          }
        }
        this.#unsettledSeen.delete(key);
        this.#entries.set(key, (entry = typeof look === "object" ? look.entry : null));
      }
      if (entry !== null && !this.#options.isRunning(entry)) {
        signalProcess(info, "SIGKILL");
        killed = true;
      }
    }
    return { killed, someEnded, unsettled };
  }
}
