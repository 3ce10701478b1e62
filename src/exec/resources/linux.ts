/**
 * Resource figures from /proc, read synchronously (ProcStatTable): less
 * work than the thread-pool round trips of asynchronous reads, and a
 * synchronous read can happen between a leader's exit and the SIGKILL of
 * the rest of its group.
 */
import { openSync, readSync } from "node:fs";
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

const selfBuffer = Buffer.alloc(1024);

function openProcFile(path: string): number | undefined {
  try {
    return openSync(path, "r");
  } catch {
    return undefined;
  }
}

export class LinuxProbe implements UsageProbe {
  readonly #table = new ProcStatTable();
  /** The table keeps the entries of processes it did not read again: so do we. */
  readonly #cpu = new WeakMap<ProcStat, ProcessCpu>();
  /** This thread's stat, open for the life of the process (close-on-exec: no child inherits it); null when it cannot be. */
  #selfStat: number | null | undefined;

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

  /**
   * cutime and cstime are the whole process's in any of its threads' stat;
   * this thread's is cheaper to make than the process's (no sum over
   * threads). Kept open: reading a /proc file again from offset 0 makes it
   * anew, so each read costs one syscall instead of three.
   */
  reapedChildrenCpuMs(): number | undefined {
    this.#selfStat ??= openProcFile("/proc/thread-self/stat") ?? openProcFile("/proc/self/stat") ?? null;
    if (this.#selfStat === null) return undefined;
    let text: string;
    try {
      text = selfBuffer.toString("latin1", 0, readSync(this.#selfStat, selfBuffer, 0, selfBuffer.length, 0));
    } catch {
      return undefined;
    }
    const fields = parseProcStatFields(text)?.fields;
    return fields === undefined ? undefined : (Number(fields[13]) + Number(fields[14])) * MS_PER_TICK;
  }
}
