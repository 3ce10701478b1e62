/**
 * Stops attempts together: a cancel of 50 tasks, an executor shutting down,
 * the kill_grace of many tasks running out at the same moment.
 *
 * The signals go out first, in the turn after the requests (so that all the
 * requests of one turn are one batch): each attempt's group, and what is
 * already known of its tree outside the group. Then one look through /proc,
 * in the same turn, serves the whole batch: the descendants that left their
 * group (setsid, setpgid) are found by parent links and by the attempt's
 * SPIRE_EXEC_ID entry, and get the same signal. Looking first, as each
 * attempt once did for itself, cost two full scans of /proc per attempt
 * before its signal: seconds for 50 tasks.
 *
 * Signalling first means a member may die before the look and leave its
 * escaped child re-parented: that child is still found by its environment
 * entry, or was already known (the resource monitor's last sample, earlier
 * looks).
 */
import { HAS_PROC, membersOf, pidsByEnvEntry, processKey, SharedProcTable, signalProcess, type ProcInfo } from "./process-tree.js";

/** A process table this old still tells whether a group has a live member (its dead are seen at the next read). */
const TABLE_MIN_AGE_MS = 50;
const TABLE_MAX_AGE_MS = 500;

export type StopSignal = "SIGTERM" | "SIGKILL";

/** What the stopper needs of an attempt. */
export interface Stoppable {
  /** "SPIRE_EXEC_ID=…" of the attempt. */
  readonly execEntry: string;
  /**
   * Signals the group and the processes already known outside it, now.
   * Returns what to look for in /proc, or undefined when there is nothing
   * (never started, already settled).
   */
  signalNow(signal: StopSignal): StoppedTree | undefined;
  /** Processes of the attempt found outside its group by the look after the signals (already signalled). */
  addEscaped(found: readonly ProcInfo[]): void;
}

export class Stopper {
  readonly #prefix: string;
  readonly #table = new SharedProcTable();
  /** Requests of this turn, by attempt: a SIGKILL asked after a SIGTERM replaces it. */
  #pending = new Map<Stoppable, StopSignal>();
  #batchDone: { promise: Promise<void>; resolve(): void } | undefined;

  /** `prefix`: the start of the environment entry of every attempt of this executor ("SPIRE_EXEC_ID=<executor>."). */
  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /**
   * Signals the attempt in the next turn, with the others asked for in this
   * one. Resolves once the look for its escaped descendants is done.
   */
  stop(target: Stoppable, signal: StopSignal): Promise<void> {
    if (this.#pending.get(target) !== "SIGKILL") this.#pending.set(target, signal);
    if (this.#batchDone === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.#batchDone = { promise, resolve };
      setImmediate(() => this.#stopBatch());
    }
    return this.#batchDone.promise;
  }

  /**
   * The process table, read at `notBefore` (performance.now()) or later, and
   * at most `maxAgeMs` ago (at least 50, at most 500 ms): one read serves
   * every attempt waiting for its group to end at about the same time.
   */
  freshTable(notBefore: number, maxAgeMs: number): readonly ProcInfo[] {
    const age = Math.min(Math.max(maxAgeMs, TABLE_MIN_AGE_MS), TABLE_MAX_AGE_MS);
    return this.#table.read(Math.max(notBefore, performance.now() - age));
  }

  #stopBatch(): void {
    const batch = this.#pending;
    const done = this.#batchDone!;
    this.#pending = new Map();
    this.#batchDone = undefined;
    const trees: Signalled[] = [];
    for (const [target, signal] of batch) {
      const tree = target.signalNow(signal);
      if (tree !== undefined) trees.push({ target, signal, ...tree });
    }
    // Right after the signals, in the same turn: the members just signalled have had little time to die, so parent links still lead to what left their group.
    try {
      if (HAS_PROC && trees.length > 0) this.#signalEscaped(trees);
    } finally {
      done.resolve();
    }
  }

  #signalEscaped(trees: Signalled[]): void {
    let table: readonly ProcInfo[];
    let marked: Map<string, Set<number>>;
    try {
      table = this.#table.read(performance.now());
      marked = pidsByEnvEntry(this.#prefix, envCandidates(table, trees));
    } catch {
      return; // /proc unreadable: the groups were signalled, which is all that can be done
    }
    for (const { target, signal, pgid, known } of trees) {
      const members = membersOf(table, { pgid, known, marked: marked.get(target.execEntry) ?? new Set() });
      const knownKeys = new Set(known.map(processKey));
      const escaped = members.filter((info) => info.pgid !== pgid && info.state !== "Z" && !knownKeys.has(processKey(info)));
      for (const info of escaped) signalProcess(info, signal);
      if (escaped.length > 0) target.addEscaped(escaped);
    }
  }
}

/** What to look for of an attempt just signalled. */
export interface StoppedTree {
  /** Its group, unless known to be gone. */
  pgid: number | undefined;
  /** Its processes already known outside the group (already signalled). */
  known: readonly ProcInfo[];
  /** The leader's start time (clock ticks since boot) when known: every descendant started at or after it. */
  leaderStartTime: number | undefined;
}

/** A stop whose signals went out, for the look through /proc. */
interface Signalled extends StoppedTree {
  target: Stoppable;
  signal: StopSignal;
}

/**
 * The pids whose environment may be worth reading: a descendant that left
 * its group started after its leader, so older processes (most of a
 * machine's) are not read, nor members of the groups just signalled (found
 * by their group already).
 */
function envCandidates(table: readonly ProcInfo[], trees: readonly Signalled[]): number[] {
  const groups = new Set(trees.map((tree) => tree.pgid));
  let since = Infinity;
  for (const tree of trees) since = Math.min(since, tree.leaderStartTime ?? 0);
  return table.filter((info) => !groups.has(info.pgid) && Number(info.startTime) >= since).map((info) => info.pid);
}
