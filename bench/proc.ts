/** Reading a process's memory and CPU time from /proc (Linux only). */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

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
