/** Reading a process's memory and CPU time from /proc (Linux only). */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 nearly everywhere). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcSample {
  pid: number;
  ppid: number;
  comm: string;
  /** user + system CPU time, ms (10 ms resolution with USER_HZ 100). */
  cpuMs: number;
  threads: number;
  rssBytes: number;
  /** Peak RSS (VmHWM). */
  hwmBytes: number;
  voluntarySwitches: number;
  involuntarySwitches: number;
}

function parseStat(text: string): { comm: string; fields: string[] } {
  // comm is in parentheses and may hold spaces; the fields after it are plain.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  // fields[0] is field 3 (state) of proc(5).
  return { comm, fields: text.slice(close + 2).trim().split(" ") };
}

export function sampleProcess(pid: number): ProcSample | undefined {
  let stat: string;
  let status: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const { comm, fields } = parseStat(stat);
  const field = (n: number) => Number(fields[n - 3]);
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN) * 1024;
  const count = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return {
    pid,
    ppid: field(4),
    comm,
    cpuMs: ((field(14) + field(15)) * 1000) / clockTicks(),
    threads: field(20),
    rssBytes: kb("VmRSS"),
    hwmBytes: kb("VmHWM"),
    voluntarySwitches: count("voluntary_ctxt_switches"),
    involuntarySwitches: count("nonvoluntary_ctxt_switches"),
  };
}

/** The live children of a process, found by their parent pid. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { fields } = parseStat(readFileSync(`/proc/${entry}/stat`, "utf8"));
      if (Number(fields[1]) === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** Sum of the threads' voluntary context switches: how often the process woke up (all threads, not only the main one). */
export function wakeups(pid: number): number {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
      total += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    }
  } catch {
    // gone meanwhile
  }
  return total;
}

/** A process's memory from /proc/<pid>/smaps_rollup, bytes. */
export interface MemoryView {
  rss: number;
  /** Proportional set size: each shared page divided among all the processes that map it (on this machine, not only the ones measured). */
  pss: number;
  /** Unique set size: pages no other process maps (Private_Clean + Private_Dirty). */
  uss: number;
  /** Anonymous memory (heap, stacks, malloc), private or not. */
  anonymous: number;
}

export function memoryOf(pid: number): MemoryView | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb("Rss"), pss: kb("Pss"), uss: kb("Private_Clean") + kb("Private_Dirty"), anonymous: kb("Anonymous") };
}

const PAGE_SIZE = 4096;
const PFN_MASK = (1n << 55n) - 1n;
const PRESENT = 1n << 63n;

/**
 * The physical pages (page frame numbers) a process has resident, from
 * /proc/<pid>/pagemap. Undefined when the frame numbers are hidden (they read
 * as 0 without CAP_SYS_ADMIN) or the process is gone.
 */
export function residentFrames(pid: number): Set<bigint> | undefined {
  const frames = new Set<bigint>();
  let hidden = false;
  let fd: number;
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, "utf8");
    fd = openSync(`/proc/${pid}/pagemap`, "r");
  } catch {
    return undefined;
  }
  try {
    const chunkPages = 16384;
    const buffer = Buffer.alloc(chunkPages * 8);
    for (const line of maps.split("\n")) {
      const match = /^([0-9a-f]+)-([0-9a-f]+) (\S{4})/.exec(line);
      // No access (---p): V8's and glibc's reservations, never resident; [vsyscall] lies beyond what pagemap reads.
      if (!match || match[3]!.startsWith("---") || line.endsWith("[vsyscall]")) continue;
      const first = parseInt(match[1]!, 16) / PAGE_SIZE;
      const end = parseInt(match[2]!, 16) / PAGE_SIZE;
      for (let page = first; page < end; page += chunkPages) {
        const count = Math.min(chunkPages, end - page);
        const read = readSync(fd, buffer, 0, count * 8, page * 8);
        for (let offset = 0; offset + 8 <= read; offset += 8) {
          const entry = buffer.readBigUInt64LE(offset);
          if ((entry & PRESENT) === 0n) continue;
          const frame = entry & PFN_MASK;
          if (frame === 0n) hidden = true;
          else frames.add(frame);
        }
      }
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
  return hidden && frames.size === 0 ? undefined : frames;
}

/** Bytes resident in any of the processes, each physical page counted once; undefined when a process's frames cannot be read. */
export function unionResident(pids: number[]): number | undefined {
  const all = new Set<bigint>();
  for (const pid of pids) {
    const frames = residentFrames(pid);
    if (frames === undefined) return undefined;
    for (const frame of frames) all.add(frame);
  }
  return all.size * PAGE_SIZE;
}
