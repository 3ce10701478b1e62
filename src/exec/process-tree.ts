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
import { closeSync, openSync, readSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

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

/**
 * Processes (other than this one) whose environment holds `entry` exactly
 * (as "NAME=value"). Every attempt's processes inherit a unique entry, so
 * this finds descendants that left the group and were re-parented, as long
 * as they kept their environment.
 */
export async function processesWithEnv(entry: string): Promise<ProcInfo[]> {
  if (!HAS_PROC) return [];
  const pids = (await listPids()).filter((pid) => pid !== process.pid);
  const found = await Promise.all(pids.map(async (pid) => ((await environHas(pid, entry)) ? readProc(pid) : undefined)));
  return found.filter((info): info is ProcInfo => info !== undefined && info.state !== "Z");
}

/** Processes (other than this one) with an environment entry starting with `prefix`, and that entry's value. */
export async function processesWithEnvPrefix(prefix: string): Promise<{ info: ProcInfo; entry: string }[]> {
  if (!HAS_PROC) return [];
  const pids = (await listPids()).filter((pid) => pid !== process.pid);
  const found = await Promise.all(
    pids.map(async (pid) => {
      const entry = await environEntry(pid, prefix);
      const info = entry === undefined ? undefined : await readProc(pid);
      return info === undefined || info.state === "Z" ? undefined : { info, entry: entry! };
    }),
  );
  return found.filter((item): item is { info: ProcInfo; entry: string } => item !== undefined);
}

async function environEntry(pid: number, prefix: string): Promise<string | undefined> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, "latin1");
    const at = environ.startsWith(prefix) ? 0 : environ.indexOf(`\0${prefix}`) + 1;
    if (at <= 0 && !environ.startsWith(prefix)) return undefined;
    const end = environ.indexOf("\0", at);
    return environ.slice(at, end < 0 ? undefined : end);
  } catch {
    return undefined;
  }
}

async function environHas(pid: number, entry: string): Promise<boolean> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, "latin1");
    return environ.startsWith(`${entry}\0`) || environ.includes(`\0${entry}\0`) || environ === entry || environ.endsWith(`\0${entry}`);
  } catch {
    return false; // gone, or not ours to read
  }
}
