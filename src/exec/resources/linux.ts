/**
 * Resource figures from /proc, read synchronously (ProcStatTable): less
 * work than the thread-pool round trips of asynchronous reads, and a
 * synchronous read can happen between a leader's exit and the SIGKILL of
 * the rest of its group.
 */
import { parseProcStatFields, readSmallFileSync, type ProcStat } from "../process-tree.js";
import { ProcStatTable } from "../proc-table.js";
import type { ProcessCpu, ProcessMemory, UsageProbe } from "./port.js";

/** USER_HZ: /proc reports CPU times in these ticks, 100 a second on every Linux architecture Node runs on. */
const MS_PER_TICK = 10;

/** utime + stime + cutime + cstime: fields 14–17 of proc(5), 11–14 after the command name. */
export function cpuMsOfStatFields(fields: readonly string[]): number {
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * MS_PER_TICK;
}

/** VmRSS and VmHWM of /proc/<pid>/status (kB). A zombie has neither: it holds no memory. */
export function parseStatusMemory(text: string): ProcessMemory {
  const kib = (name: string) => {
    const at = text.indexOf(`\n${name}:`);
    return at < 0 ? 0 : Number.parseInt(text.slice(at + name.length + 2).trimStart(), 10) * 1024 || 0;
  };
  const rssBytes = kib("VmRSS");
  return { rssBytes, peakRssBytes: Math.max(rssBytes, kib("VmHWM")) };
}

export class LinuxProbe implements UsageProbe {
  readonly #table = new ProcStatTable();
  /** The table keeps the entries of processes it did not read again: so do we. */
  readonly #cpu = new WeakMap<ProcStat, ProcessCpu>();

  processes(watched: ReadonlySet<number>): Promise<ProcessCpu[]> {
    return Promise.resolve(this.processesNow(watched));
  }

  processesNow(watched: ReadonlySet<number>): ProcessCpu[] {
    return this.#table.read(watched).map((stat) => {
      let entry = this.#cpu.get(stat);
      if (entry === undefined) this.#cpu.set(stat, (entry = { ...stat.info, cpuMs: cpuMsOfStatFields(stat.fields) }));
      return entry;
    });
  }

  memory(pid: number): ProcessMemory | undefined {
    const text = readSmallFileSync(`/proc/${pid}/status`);
    return text === undefined ? undefined : parseStatusMemory(text);
  }

  /** cutime and cstime are the whole process's in any of its threads' stat; this thread's is cheaper to make than the process's (no sum over threads). */
  reapedChildrenCpuMs(): number | undefined {
    const text = readSmallFileSync("/proc/thread-self/stat") ?? readSmallFileSync("/proc/self/stat");
    const fields = text === undefined ? undefined : parseProcStatFields(text)?.fields;
    return fields === undefined ? undefined : (Number(fields[13]) + Number(fields[14])) * MS_PER_TICK;
  }
}
