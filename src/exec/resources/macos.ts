/**
 * Resource figures on macOS, where there is no /proc: one `ps` for the
 * whole table at each sample. What it cannot give stays unknown: a
 * process's peak between samples, and the CPU of children reaped by this
 * process (Node does not expose getrusage(RUSAGE_CHILDREN)), so a task
 * shorter than the first sample has no CPU figure here.
 */
import { execFile } from "node:child_process";
import type { ProcessCpu, ProcessMemory, UsageProbe } from "./port.js";

/** `-S` adds the time of waited-for children to their parent, as Linux's cutime does. lstart last: it holds spaces. */
const PS_ARGS = ["-A", "-S", "-o", "pid=,ppid=,pgid=,stat=,rss=,time=,lstart="];

/** `ps` time: [[dd-]hh:]mm:ss[.cc] → ms. */
export function parsePsTime(text: string): number {
  const [days, clock] = text.includes("-") ? [Number(text.slice(0, text.indexOf("-"))), text.slice(text.indexOf("-") + 1)] : [0, text];
  const seconds = clock.split(":").reduce((total, part) => total * 60 + Number(part), 0);
  return Math.round((days * 86_400 + seconds) * 1000);
}

/** One line of PS_ARGS output; undefined for anything else. */
export function parsePsLine(line: string): (ProcessCpu & { rssBytes: number }) | undefined {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 7) return undefined;
  const [pid, ppid, pgid, stat, rss, time] = parts.slice(0, 6).map((part, index) => (index === 3 || index === 5 ? part : Number(part))) as [number, number, number, string, number, string];
  if (![pid, ppid, pgid, rss].every(Number.isInteger)) return undefined;
  const cpuMs = parsePsTime(time);
  if (!Number.isFinite(cpuMs)) return undefined;
  return { pid, ppid, pgid, state: stat.charAt(0), startTime: parts.slice(6).join(" "), cpuMs, rssBytes: rss * 1024 };
}

export class PsProbe implements UsageProbe {
  #rss = new Map<number, number>();

  processes(): Promise<ProcessCpu[]> {
    // One `ps` reads everything afresh: nothing to gain from knowing which pids matter.
    return new Promise((resolve) => {
      execFile("ps", PS_ARGS, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
        if (error !== null) return resolve([]); // no ps: the figures stay unknown
        const table = stdout.split("\n").flatMap((line) => parsePsLine(line) ?? []);
        this.#rss = new Map(table.map((entry) => [entry.pid, entry.rssBytes]));
        resolve(table);
      });
    });
  }

  memory(pid: number): ProcessMemory | undefined {
    const rssBytes = this.#rss.get(pid);
    return rssBytes === undefined ? undefined : { rssBytes, peakRssBytes: rssBytes };
  }

  reapedChildrenCpuMs(): number | undefined {
    return undefined;
  }
}
