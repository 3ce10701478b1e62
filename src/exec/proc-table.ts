/**
 * The process table for a resource sampler that reads it several times a
 * second, at a cost that follows what changed rather than how many
 * processes the machine runs.
 *
 * Reads are synchronous, into one reused buffer (about 10 µs a process on a
 * quiet machine, against about 90 µs of thread-pool work for an
 * asynchronous readFile). A full read lists /proc (itself about 0.3 ms);
 * in between, only the processes created since the last read are read:
 * Linux hands out pids in cyclic order and /proc/loadavg ends with the last
 * one it gave, so they are the pids between the last read's and now. The
 * pids the caller names (the members of the trees it samples) are read
 * again each time.
 *
 * What is kept of the other processes may be stale, and that does not
 * matter for finding a task's tree: no process outside a tree ever joins it
 * (a task is its own session, so no outsider can enter its group, and
 * re-parenting only goes to init or a subreaper). A pid given anew is read
 * anew, so reuse is seen; and before a quarter of all pids has been handed
 * out since the last full read, another one drops the processes that ended,
 * long before their pids could come round again (a kept entry of a process
 * that ended could otherwise look like the child of a new one).
 */
import { readdirSync } from "node:fs";
import { HAS_PROC, readProcStatSync, readSmallFileSync, type ProcStat } from "./process-tree.js";

/** A full read drops what ended; kept entries cost only memory, so not often. */
const FULL_READ_EVERY_MS = 10_000;
/** Beyond this many new pids since the last read, listing /proc is cheaper. */
const MOST_PIDS_PROBED = 2_000;
/** … and below this many, reading them is cheaper whatever the table holds. */
const FEWEST_PIDS_PROBED = 64;

/** The last pid handed out (the last field of /proc/loadavg), or undefined. */
export function lastPid(): number | undefined {
  const text = readSmallFileSync("/proc/loadavg");
  const pid = text === undefined ? NaN : Number(text.slice(text.lastIndexOf(" ") + 1));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Threads draw their ids from the same counter as processes, and
 * /proc/<tid> answers for them (with their process's figures) though
 * /proc does not list them: only a thread group's leader is a process.
 */
function isProcess(pid: number): boolean {
  return readSmallFileSync(`/proc/${pid}/status`)?.includes(`\nTgid:\t${pid}\n`) ?? false;
}

/** pid_max: pids are handed out below it, in cyclic order. */
export function readPidMax(): number {
  const value = Number(readSmallFileSync("/proc/sys/kernel/pid_max"));
  return Number.isInteger(value) && value > 0 ? value : 4_194_304;
}

export class ProcStatTable {
  #entries = new Map<number, ProcStat>();
  #fullReadAt = -Infinity;
  #createdSinceFullRead = 0;
  #lastPid: number | undefined;
  readonly #pidMax = HAS_PROC ? readPidMax() : 0;

  /** Every process; those in `refresh` and those created since the last call read now, the others as last read. */
  read(refresh: ReadonlySet<number>, now = Date.now()): ProcStat[] {
    if (!HAS_PROC) return [];
    const last = lastPid();
    const since = this.#lastPid;
    const created = last === undefined || since === undefined ? Infinity : (last - since + this.#pidMax) % this.#pidMax;
    this.#createdSinceFullRead += created;
    // Each new pid costs a read or two, as each known process does in a full read: the cheaper of the two.
    if (created > Math.min(MOST_PIDS_PROBED, Math.max(this.#entries.size, FEWEST_PIDS_PROBED)) || this.#createdSinceFullRead > this.#pidMax / 4 || now - this.#fullReadAt > FULL_READ_EVERY_MS) {
      this.#readAll();
      this.#fullReadAt = now;
      this.#createdSinceFullRead = 0;
    } else {
      for (let step = 1; step <= created; step++) {
        const pid = ((since! + step - 1) % this.#pidMax) + 1;
        if (isProcess(pid)) this.#readOne(pid);
      }
      for (const pid of refresh) this.#readOne(pid);
    }
    this.#lastPid = last;
    return [...this.#entries.values()];
  }

  #readAll(): void {
    this.#entries = new Map();
    for (const entry of readdirSync("/proc")) {
      const pid = Number(entry);
      if (Number.isInteger(pid) && pid > 0) this.#readOne(pid);
    }
  }

  #readOne(pid: number): void {
    const stat = readProcStatSync(pid);
    if (stat === undefined) this.#entries.delete(pid);
    else this.#entries.set(pid, stat);
  }
}
