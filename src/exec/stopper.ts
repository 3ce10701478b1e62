/**
 * Stops attempts together: a cancel of 50 tasks, an executor shutting down,
 * the kill_grace of many tasks running out at the same moment.
 *
 * The signals go out first, as soon as the code that asked has run: each
 * attempt's group, and what is already known of its tree outside the group.
 * Then one look through /proc serves every attempt signalled meanwhile: the
 * descendants that left their group (setsid, setpgid) are found by parent
 * links and by the attempt's SPIRE_EXEC_ID entry, and get the same signal.
 * Looking first, as each attempt once did for itself, cost two full scans of
 * /proc per attempt before its signal: seconds for 50 tasks.
 *
 * Signalling first means a member may die before the look and leave its
 * escaped child re-parented: that child is still found by its environment
 * entry, or was already known (the resource monitor's last sample, earlier
 * looks).
 */
import { envCandidates, HAS_PROC, membersOf, pidsByEnvEntry, processKey, SharedProcTable, signalProcess, type ProcInfo, type TreeRoot } from "./process-tree.js";

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
  /** Asked for and not yet signalled, by attempt: a SIGKILL asked after a SIGTERM replaces it. */
  #pending = new Map<Stoppable, StopSignal>();
  /** Signalled, waiting for the next look. */
  #signalled: Signalled[] = [];
  #nextLook: { promise: Promise<void>; resolve(): void } | undefined;

  /** `prefix`: the start of the environment entry of every attempt of this executor ("SPIRE_EXEC_ID=<executor>."). */
  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /**
   * Signals the attempt once the code that asked has run (a microtask: the
   * other stops asked meanwhile, such as a run's cancel of each of its
   * tasks, go with it), then looks for its escaped descendants with every
   * other attempt signalled before the look (in the event loop's next check
   * phase). Resolves once that look is done.
   */
  stop(target: Stoppable, signal: StopSignal): Promise<void> {
    if (this.#pending.size === 0) queueMicrotask(() => this.#signalPending());
    if (this.#pending.get(target) !== "SIGKILL") this.#pending.set(target, signal);
    if (this.#nextLook === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.#nextLook = { promise, resolve };
      setImmediate(() => this.#look());
    }
    return this.#nextLook.promise;
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

  #signalPending(): void {
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [target, signal] of pending) {
      const tree = target.signalNow(signal);
      if (tree !== undefined) this.#signalled.push({ target, signal, ...tree });
    }
  }

  #look(): void {
    const signalled = this.#signalled;
    const look = this.#nextLook!;
    this.#signalled = [];
    this.#nextLook = undefined;
    try {
      if (HAS_PROC && signalled.length > 0) this.#signalEscaped(signalled);
    } finally {
      look.resolve();
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

/** What to look for of an attempt just signalled: its group (unless known to be gone), its leader's start time, and its processes already known outside the group (already signalled). */
export interface StoppedTree extends TreeRoot {
  known: readonly ProcInfo[];
}

/** A stop whose signals went out, for the look through /proc. */
interface Signalled extends StoppedTree {
  target: Stoppable;
  signal: StopSignal;
}
