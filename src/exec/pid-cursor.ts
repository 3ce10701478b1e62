/**
 * How many pids the machine handed out since a moment, counted from reads
 * of the last pid given (the last field of /proc/loadavg): Linux hands
 * them out in cyclic order below pid_max, so between two reads it gave
 * (second − first) mod pid_max of them, plus pid_max for each full round.
 * A core is assumed to give fewer than 100 pids a millisecond (a clone()
 * of even a thread costs it more than 10 µs), so two reads less than
 * pid_max / (100 × cores) ms apart hide no full round (164 ms with the
 * smallest pid_max, 32768, on 2 cores; 10 s with 4194304, the usual one on
 * 64-bit systems, on 4); a chain of such reads counts every pid given
 * between its ends. Where the chain does not reach back to the moment
 * asked about, there is no answer.
 */
import { availableParallelism } from "node:os";
import { lastPid, readPidMax } from "./proc-table.js";
import { HAS_PROC } from "./process-tree.js";

const MOST_PIDS_PER_MS_A_CORE = 100;
/** Reads older than this are not kept: no window of the stray sweep reaches so far back. */
const KEPT_MS = 60_000;

interface Read {
  /** performance.now() just before the read. */
  at: number;
  pid: number;
  /** Pids given since the chain's first read. */
  given: number;
}

export class PidCursor {
  readonly pidMax = HAS_PROC ? readPidMax() : 0;
  /** Reads further apart than this may hide a full round. */
  readonly #gapMs = this.pidMax / (MOST_PIDS_PER_MS_A_CORE * availableParallelism());
  /** The current chain, oldest first. */
  #chain: Read[] = [];

  /** The last pid given, read now (undefined when /proc cannot tell); extends the chain, or starts a new one after a long gap. */
  read(): number | undefined {
    const at = performance.now();
    const pid = lastPid();
    if (pid === undefined) return undefined;
    const previous = this.#chain.at(-1);
    if (previous === undefined || at - previous.at >= this.#gapMs) this.#chain = [{ at, pid, given: 0 }];
    else this.#chain.push({ at, pid, given: previous.given + ((pid - previous.pid + this.pidMax) % this.pidMax) });
    while (this.#chain[0]!.at < at - KEPT_MS) this.#chain.shift();
    return pid;
  }

  /** Whether the chain goes on from a read made within the last half gap (a later read then extends it). */
  get fresh(): boolean {
    const last = this.#chain.at(-1);
    return last !== undefined && performance.now() - last.at < this.#gapMs / 2;
  }

  /** The most pids given since `at` (performance.now()) up to the last read; undefined when the chain began after `at`. */
  givenSince(at: number): number | undefined {
    let before: Read | undefined;
    for (const read of this.#chain) {
      if (read.at > at) break;
      before = read;
    }
    return before === undefined ? undefined : this.#chain.at(-1)!.given - before.given;
  }
}
