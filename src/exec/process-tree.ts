/**
 * Finding and signalling the processes of a task.
 *
 * The task's process group (pgid = leader pid) covers almost everything it
 * starts. What leaves the group (setsid, setpgid: daemons, `setsid sleep`)
 * is found on Linux through /proc: by parent links while the leader is
 * alive, and by an environment entry unique to the attempt after that.
 * A process is identified by pid and start time, because pids are reused.
 * On other systems only the group is signalled.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";

export const HAS_PROC = process.platform === "linux";

/** Whether a process with this pid exists (EPERM: it does, under another user). Not whether it is the same process: compare start times for that. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** One letter: R, S, D, Z (zombie), T, … */
  state: string;
  /** Clock ticks since boot: with the pid, names one process for its whole life. */
  startTime: string;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields are read after the last ')'. */
export function parseProcStat(text: string): ProcInfo | undefined {
  return parseProcStatFields(text)?.info;
}

/** ProcInfo and the raw fields after the command name (field 3 of proc(5) is fields[0]). */
export function parseProcStatFields(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(" ");
  const pid = Number(text.slice(0, text.indexOf(" ")));
  if (fields.length < 20 || !Number.isInteger(pid)) return undefined;
  return { info: { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19]! }, fields };
}

/** One process, or undefined when it is gone (or not ours to read). */
function readProc(pid: number): ProcInfo | undefined {
  return readProcStatSync(pid)?.info;
}

/** The pids /proc lists: every process (threads are not listed). */
export function listPids(): number[] {
  return readdirSync("/proc")
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/**
 * Every process. Synchronous, into one reused buffer: about 10 µs a process,
 * where an asynchronous read costs several thread-pool round trips, and
 * many of them at once (tasks ending together) queue behind one another.
 */
export function readProcTable(): ProcInfo[] {
  if (!HAS_PROC) return [];
  const infos: ProcInfo[] = [];
  for (const pid of listPids()) {
    const info = readProc(pid);
    if (info !== undefined) infos.push(info);
  }
  return infos;
}

const statBuffer = Buffer.alloc(4096);

export interface ProcStat {
  info: ProcInfo;
  /** The raw fields after the command name, for readers that need more of the line (CPU times). */
  fields: string[];
}

export function readProcStatSync(pid: number): ProcStat | undefined {
  const text = readSmallFileSync(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStatFields(text);
}

/**
 * Whether the process catches or ignores signal number `signal` (SigCgt, SigIgn of
 * /proc/<pid>/status), so that it may live on, or exit as it chooses, after receiving it;
 * undefined when that cannot be read.
 */
export function handlesSignalSync(pid: number, signal: number): boolean | undefined {
  const text = readSmallFileSync(`/proc/${pid}/status`);
  if (text === undefined) return undefined;
  const mask = (name: string) => {
    const match = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, "m").exec(text);
    return match ? BigInt(`0x${match[1]}`) : undefined;
  };
  const caught = mask("SigCgt");
  const ignored = mask("SigIgn");
  if (caught === undefined || ignored === undefined) return undefined;
  const bit = 1n << BigInt(signal - 1);
  return ((caught | ignored) & bit) !== 0n;
}

/** A /proc file of at most 4 KiB, or undefined when the process is gone (or not ours to read). */
export function readSmallFileSync(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    return statBuffer.toString("latin1", 0, readSync(fd, statBuffer, 0, statBuffer.length, 0));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Every live descendant of `pid`, by parent links. */
export function descendantsOf<T extends ProcInfo>(table: readonly T[], pid: number, children = childrenByParent(table)): T[] {
  const found: T[] = [];
  const queue = [pid];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const child of children.get(next) ?? []) {
      if (child.state === "Z") continue;
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** The table by parent pid: build it once to look for the descendants of several processes. */
export function childrenByParent<T extends ProcInfo>(table: readonly T[]): Map<number, T[]> {
  const children = new Map<number, T[]>();
  for (const info of table) {
    const siblings = children.get(info.ppid);
    if (siblings === undefined) children.set(info.ppid, [info]);
    else siblings.push(info);
  }
  return children;
}

/** Whether the process we saw is still running (same pid and start time, not a zombie). Synchronous: checked in the same turn as a signal that follows. */
export function stillRunning(target: ProcInfo): boolean {
  const now = readProcStatSync(target.pid)?.info;
  return now !== undefined && now.startTime === target.startTime && now.state !== "Z";
}

/** Sends `signal` to every process of the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    return true; // EPERM: a member we may not signal still exists
  }
}

/** Signals one process, but only if it is still the one we saw (same start time): a pid may have been reused. */
export function signalProcess(target: ProcInfo, signal: NodeJS.Signals): void {
  if (!stillRunning(target)) return;
  try {
    process.kill(target.pid, signal);
  } catch {
    // it ended meanwhile
  }
}

/**
 * Whether any member of the group can still run. Zombies do not count: an
 * init that does not reap (as in some containers) leaves them forever, and
 * they hold no resources but a pid. `readTable`: a process table read after
 * the caller began to wait (a shared one serves many waiters).
 */
export function groupAlive(pgid: number, readTable: () => readonly ProcInfo[] = readProcTable): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (!HAS_PROC) return true;
  return readTable().some((info) => info.pgid === pgid && info.state !== "Z");
}

/** The processes of a tree found in `table`: its group (unless gone), members seen before, marked ones, and all their descendants. */
export function membersOf<T extends ProcInfo>(table: readonly T[], tree: { pgid: number | undefined; known: Iterable<ProcInfo>; marked: ReadonlySet<number> }): T[] {
  const knownKeys = new Set([...tree.known].map(processKey));
  const found = new Map<string, T>();
  const add = (info: T) => found.set(processKey(info), info);
  for (const info of table) {
    if (info.pgid === tree.pgid || tree.marked.has(info.pid) || knownKeys.has(processKey(info))) add(info);
  }
  const children = childrenByParent(table);
  for (const root of [...found.values()]) for (const info of descendantsOf(table, root.pid, children)) add(info);
  return [...found.values()];
}

/** Names one process for its whole life: pids are reused, start times are not (for the same pid). */
export function processKey(info: { pid: number; startTime: string }): string {
  return `${info.pid}/${info.startTime}`;
}

/**
 * One full read of the process table shared by everyone who needs one at
 * about the same moment: a caller says how old a table it can use, and gets
 * the last one read since then, else a new read.
 */
export class SharedProcTable {
  #last: { readAt: number; table: ProcInfo[] } | undefined;

  /** A table read at `notBefore` (performance.now()) or later. */
  read(notBefore: number): ProcInfo[] {
    if (this.#last === undefined || this.#last.readAt < notBefore) this.#last = { readAt: performance.now(), table: readProcTable() };
    return this.#last.table;
  }
}

/** Where a tree is rooted, for a look at the environments: its group (unless gone), and its leader's start time (clock ticks since boot) when known. */
export interface TreeRoot {
  pgid: number | undefined;
  leaderStartTime: number | undefined;
}

/**
 * The pids whose environment is worth reading to find what left these
 * trees' groups: a descendant started after its leader, so older processes
 * (most of a machine's) are not read, nor the members of the groups
 * themselves (found by their group already).
 */
export function envCandidates(table: readonly ProcInfo[], trees: Iterable<TreeRoot>): number[] {
  const groups = new Set<number | undefined>();
  let since = Infinity;
  for (const tree of trees) {
    groups.add(tree.pgid);
    since = Math.min(since, tree.leaderStartTime ?? 0);
  }
  return table.filter((info) => !groups.has(info.pgid) && Number(info.startTime) >= since && info.pid !== process.pid).map((info) => info.pid);
}

/**
 * Processes (other than this one) whose environment holds `entry` exactly
 * (as "NAME=value"). Every attempt's processes inherit a unique entry, so
 * this finds descendants that left the group and were re-parented, as long
 * as they kept their environment.
 */
export function processesWithEnv(entry: string): ProcInfo[] {
  return processesWithEnvPrefix(entry)
    .filter((found) => found.entry === entry)
    .map((found) => found.info);
}

/**
 * Processes (other than this one) with an environment entry starting with
 * `prefix`, and that entry; `among`: only these pids. Synchronous, like readProcTable: one look at
 * every environment costs a few milliseconds this way, where asynchronous
 * reads took hundreds while many tasks were ending. `unsettled` gets the
 * pids caught in the middle of an exec (see environLook), which a later look must read again.
 */
export function processesWithEnvPrefix(prefix: string, among?: readonly number[], unsettled?: number[]): { info: ProcInfo; entry: string }[] {
  if (!HAS_PROC) return [];
  const found: { info: ProcInfo; entry: string }[] = [];
  for (const pid of among ?? listPids()) {
    if (pid === process.pid) continue;
    const look = environLook(pid, prefix);
    if (look === "unsettled") unsettled?.push(pid);
    else if (typeof look === "object") found.push(look);
  }
  return found;
}

/** processesWithEnvPrefix's pids grouped by their entry: what each attempt has carrying its own. */
export function pidsByEnvEntry(prefix: string, among?: readonly number[]): Map<string, Set<number>> {
  const byEntry = new Map<string, Set<number>>();
  for (const { info, entry } of processesWithEnvPrefix(prefix, among)) {
    const pids = byEntry.get(entry);
    if (pids === undefined) byEntry.set(entry, new Set([info.pid]));
    else pids.add(info.pid);
  }
  return byEntry;
}

/** proc(5)'s flags (field 9) of a kernel thread, and of a process on its way out (its memory may be gone already). */
const PF_KTHREAD = 0x00200000;
const PF_EXITING = 0x4;
/** Where env_start and env_end (fields 50 and 51 of proc(5), since Linux 3.5) are among ProcStat's fields. */
const ENV_START = 47;
const ENV_END = 48;
/** Reads of an empty environment before a process mid-exec is left for a later look. */
const EXEC_READS = 3;

/**
 * What a live process's environment says of `prefix`: its entry starting so, or "none".
 * "gone": ended or ending. "unsettled": caught in the middle of an exec.
 * Between the switch to the new program's memory and the kernel's setting out of its
 * environment, /proc/<pid>/environ reads empty and env_end is 0, though the process holds
 * the entry a moment later (a daemon's `setsid` execing `sleep` was missed so). An
 * environment empty for good (`env -i`) has env_end set, and equal to env_start.
 */
export function environLook(pid: number, prefix: string): { info: ProcInfo; entry: string } | "none" | "gone" | "unsettled" {
  for (let reads = 1; ; reads++) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    } catch (error) {
      // Not ours to read (another user's, or a set-user-ID program's): what it holds cannot be told.
      return (error as NodeJS.ErrnoException).code === "EACCES" ? "none" : "gone";
    }
    const entry = environ.length > 0 ? entryOf(environ, prefix) : null;
    if (environ.length > 0 && entry === null) return "none";
    // Read after the environment: a process that had ended by then is not taken for a live one.
    const stat = readProcStatSync(pid);
    if (stat === undefined || stat.info.state === "Z") return "gone";
    if (entry !== null) return { info: stat.info, entry };
    const { fields } = stat;
    const flags = Number(fields[6]);
    if ((flags & PF_EXITING) !== 0) return "gone";
    const envEnd = fields[ENV_END];
    // A kernel thread has no environment; a kernel too old to show env_end leaves only the read.
    if ((flags & PF_KTHREAD) !== 0 || envEnd === undefined || (envEnd !== "0" && fields[ENV_START] === envEnd)) return "none";
    // Otherwise an exec was under way at the read, and may have ended since: read again.
    if (reads === EXEC_READS) return "unsettled";
  }
}

/** The entry of an environment (NUL-separated) that starts with `prefix`, or null. */
function entryOf(environ: string, prefix: string): string | null {
  const at = environ.startsWith(prefix) ? 0 : environ.indexOf(`\0${prefix}`) + 1;
  if (at === 0 && !environ.startsWith(prefix)) return null;
  const end = environ.indexOf("\0", at);
  return environ.slice(at, end < 0 ? undefined : end);
}
