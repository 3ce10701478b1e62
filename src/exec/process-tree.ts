/**
 * Finding and signalling the processes of a task.
 *
 * The task's process group (pgid = leader pid) covers almost everything it
 * starts. What leaves the group (setsid, setpgid: daemons, `setsid sleep`)
 * is found on Linux through /proc: by parent links while the leader is
 * alive, and by who still holds the task's output pipes after it exited.
 * A process is identified by pid and start time, because pids are reused.
 * On other systems only the group is signalled.
 */
import { readdir, readFile, readlink } from "node:fs/promises";

export const HAS_PROC = process.platform === "linux";

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
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(" ");
  const pid = Number(text.slice(0, text.indexOf(" ")));
  if (fields.length < 20 || !Number.isInteger(pid)) return undefined;
  return { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19]! };
}

async function readProc(pid: number): Promise<ProcInfo | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return undefined; // gone while we looked
  }
}

async function listPids(): Promise<number[]> {
  const entries = await readdir("/proc");
  return entries.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
}

export async function readProcTable(): Promise<ProcInfo[]> {
  if (!HAS_PROC) return [];
  const infos = await Promise.all((await listPids()).map(readProc));
  return infos.filter((info): info is ProcInfo => info !== undefined);
}

/** Every live descendant of `pid`, by parent links. */
export function descendantsOf(table: readonly ProcInfo[], pid: number): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const info of table) {
    const siblings = children.get(info.ppid);
    if (siblings === undefined) children.set(info.ppid, [info]);
    else siblings.push(info);
  }
  const found: ProcInfo[] = [];
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

/** Whether the process we saw is still running (same pid and start time, not a zombie). */
export async function stillRunning(target: ProcInfo): Promise<boolean> {
  const now = await readProc(target.pid);
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

/** Signals one process, but only if it is still the one we saw (same start time). */
export async function signalProcess(target: ProcInfo, signal: NodeJS.Signals): Promise<void> {
  if (!(await stillRunning(target))) return;
  try {
    process.kill(target.pid, signal);
  } catch {
    // it ended meanwhile
  }
}

/**
 * Whether any member of the group can still run. Zombies do not count: an
 * init that does not reap (as in some containers) leaves them forever, and
 * they hold no resources but a pid.
 */
export async function groupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  if (!HAS_PROC) return true;
  const table = await readProcTable();
  return table.some((info) => info.pgid === pgid && info.state !== "Z");
}

/** The kernel's name for what a file descriptor of this process points at, e.g. "socket:[1234]". */
export async function ownFdTarget(fd: number): Promise<string | undefined> {
  if (!HAS_PROC) return undefined;
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** Processes other than this one holding any of `targets` (see ownFdTarget) open. */
export async function holdersOf(targets: ReadonlySet<string>): Promise<ProcInfo[]> {
  if (!HAS_PROC || targets.size === 0) return [];
  const holders = await Promise.all(
    (await listPids())
      .filter((pid) => pid !== process.pid)
      .map(async (pid) => ((await holdsAny(pid, targets)) ? readProc(pid) : undefined)),
  );
  return holders.filter((info): info is ProcInfo => info !== undefined);
}

async function holdsAny(pid: number, targets: ReadonlySet<string>): Promise<boolean> {
  try {
    const fds = await readdir(`/proc/${pid}/fd`);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      if (targets.has(target)) return true;
    }
  } catch {
    // gone, or not ours to look into
  }
  return false;
}
