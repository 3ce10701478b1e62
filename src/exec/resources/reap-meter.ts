/**
 * The final CPU figure of an attempt's leader, however short it lived,
 * where its spawner does not tell it (the native spawner reaps with wait4
 * and gives the leader's rusage: the figure below, exactly, with no read).
 *
 * libuv reaps a child (waitpid) before Node emits its 'exit', so by then
 * /proc/<pid> is gone and no sample can be read. What the kernel does at
 * that reap is add the child's utime + stime + cutime + cstime to this
 * process's cutime + cstime: the growth of our own figure across the reap is
 * the child's figure at death, down to the tick (10 ms).
 *
 * Alternatives considered: sampling very early and often (a 50 ms task
 * still loses its last stretch, and every task pays for samples); reading
 * /proc/<pid>/stat when its pipes reach end of file (the pipes close before
 * the exit is reported, but a background child may hold them, and libuv may
 * reap in the same poll before the 'end' callbacks run); a wrapper process
 * that waits with wait4() and reports the rusage (one more exec per task);
 * cgroups (not writable in many containers, this one included).
 *
 * Ambiguity: libuv reaps every exited child in one go, then reports each
 * exit. So the growth is measured once per batch, after all of a batch's
 * exits (setImmediate: reaps happen in the poll phase, immediates run right
 * after it), and shared out: a batch of one gets the growth exactly; in a
 * larger batch each leader gets its last sampled figure plus a part of the
 * rest, in proportion to how long it ran unsampled. Children this process
 * reaps outside attempts (spawnSync, a `ps`) land in the next batch, so no
 * leader is given more than its tree could have used (shareReaped).
 */
import { availableParallelism } from "node:os";
import type { UsageProbe } from "./port.js";

export interface ReapedLeader {
  /** The leader's own figure at its last sample (0 when never sampled): the least its final figure can be. */
  sampledMs: number;
  /** The whole tree's figure at that sample: all of it may since have been waited into the leader's. */
  treeSampledMs: number;
  /** Wall time between that sample (or the spawn) and the exit. */
  unsampledMs: number;
}

/** The reported cutime can run one tick ahead of the exact sum it rounds. */
const TICK_MS = 10;
/** Asked once: it is a system call. */
const CPUS = availableParallelism();

/**
 * Shares the growth of our reaped-children CPU across the leaders reaped in
 * one batch. No leader gets less than its sampled figure, nor more than its
 * tree's sampled figure plus its unsampled wall time × `cpus` (no tree can
 * use more than all CPUs meanwhile).
 */
export function shareReaped(growthMs: number, batch: readonly ReapedLeader[], cpus = CPUS): number[] {
  const sampled = batch.reduce((sum, leader) => sum + leader.sampledMs, 0);
  const rest = Math.max(0, growthMs - sampled);
  const weights = batch.map((leader) => Math.max(1, leader.unsampledMs));
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  return batch.map((leader, index) => {
    const most = Math.max(leader.treeSampledMs, leader.sampledMs) + weights[index]! * cpus + TICK_MS;
    return Math.round(Math.min(leader.sampledMs + (rest * weights[index]!) / totalWeight, most));
  });
}

interface Waiting extends ReapedLeader {
  settle(finalMs: number | undefined): void;
}

export class ReapMeter {
  readonly #probe: UsageProbe;
  #lastMs: number | undefined;
  /** CPU of children reaped since the last read whose figures came from their own rusage (native spawner): not to be shared out. */
  #accountedMs = 0;
  #batch: Waiting[] = [];

  constructor(probe: UsageProbe) {
    this.#probe = probe;
  }

  /** Reads the baseline: call when an attempt is spawned (it cannot have been reaped yet in that turn). */
  prime(): void {
    if (this.#lastMs !== undefined || this.#batch.length > 0) return;
    this.#lastMs = this.#probe.reapedChildrenCpuMs();
    this.#accountedMs = 0;
  }

  /** A child was reaped whose figure came with its reap (wait4): what it adds to ours is not a leader's of the next batch. */
  accounted(cpuMs: number): void {
    this.#accountedMs += cpuMs;
  }

  /** Call from the leader's 'exit' (it has just been reaped). Resolves with its figure at death, or undefined. */
  reaped(leader: ReapedLeader): Promise<number | undefined> {
    return new Promise((settle) => {
      if (this.#batch.length === 0) setImmediate(() => this.#close());
      this.#batch.push({ ...leader, settle });
    });
  }

  #close(): void {
    const batch = this.#batch;
    this.#batch = [];
    const nowMs = this.#probe.reapedChildrenCpuMs();
    // Our figure counts whole ticks, the rusage µs: the rounding may leave a few ms either way.
    const growth = nowMs === undefined || this.#lastMs === undefined ? undefined : Math.max(0, nowMs - this.#lastMs - this.#accountedMs);
    this.#lastMs = nowMs;
    this.#accountedMs = 0;
    const shares = growth === undefined ? [] : shareReaped(growth, batch);
    batch.forEach((leader, index) => leader.settle(shares[index]));
  }
}
