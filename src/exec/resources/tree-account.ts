/**
 * The CPU and memory of one attempt's process tree, from successive
 * samples of its members. Pure: the monitor feeds it.
 *
 * CPU. At any moment each process's time is counted in exactly one place:
 * its own stat while it lives (or is a zombie), then its parent's cutime
 * once the parent waited for it. So the tree's CPU is the sum over the live
 * members, plus what left the tree:
 *   - the leader, reaped by us: its final figure (utime + stime + cutime +
 *     cstime at its death) comes from its rusage, or the reap meter;
 *   - a member reaped by a parent outside the tree (init, after it was
 *     re-parented): its time at our last look is kept here ("departed").
 * What is lost, by construction: the CPU such a re-parented member used
 * between our last look and its death, members that were born and reaped
 * by init entirely between two samples, and the last moments of members
 * left behind by the leader (killed right after it; their figure is the one
 * read just before). A member that vanished while its last parent seen was
 * in the tree is assumed waited for inside it (if that parent died first,
 * the member was re-parented and its time is lost, not counted twice; so is
 * the time of a child whose parent ignores SIGCHLD, as the kernel then
 * reaps it without adding it to anyone).
 *
 * Memory. The tree's RSS at a sample is the sum over its members (pages
 * shared between them, after a fork, count once per process); the peak is
 * the highest such sum, and at least the highest peak (VmHWM) of any one
 * member, which catches a spike between samples.
 */
import type { ProcessCpu, TreeUsage } from "./port.js";

export interface Member extends ProcessCpu {
  rssBytes: number;
  peakRssBytes: number;
}

const keyOf = (member: { pid: number; startTime: string }) => `${member.pid}/${member.startTime}`;

export class TreeAccount implements TreeUsage {
  readonly leaderPid: number;
  #members = new Map<string, Member>();
  #departedMs = 0;
  #leaderMs = 0;
  #othersMs = 0;
  /** The leader has exited: what it used is final, and only its reaped figure can add to it. */
  leaderEnded = false;
  cpuMs = 0;
  rssBytes = 0;
  peakRssBytes = 0;
  /** Whether CPU / memory were ever measured (a figure of 0 from no sample at all would be a lie). */
  measured = false;
  memoryMeasured = false;
  /** Whether observe() was ever called. */
  sampled = false;

  constructor(leaderPid: number) {
    this.leaderPid = leaderPid;
  }

  /** The members seen last: they stay members wherever they move. */
  get members(): Iterable<Member> {
    return this.#members.values();
  }

  /** The leader's own figure at the last sample (a lower bound of its final one). */
  get leaderSampledMs(): number {
    return this.#leaderMs;
  }

  /** The figure of everything alive at the last sample: the most the leader's final figure can hold of what was measured. */
  get liveSampledMs(): number {
    return this.#leaderMs + this.#othersMs;
  }

  /** One sample: every member of the tree found now (zombies included), with their memory. */
  observe(members: readonly Member[]): void {
    this.sampled = true;
    const current = new Map(members.map((member) => [keyOf(member), member] as const));
    const inside = new Set([this.leaderPid, ...[...this.#members.values(), ...members].map((member) => member.pid)]);
    for (const [key, seen] of this.#members) {
      if (current.has(key) || seen.pid === this.leaderPid) continue;
      // Its parent was in the tree when we last looked: the parent waited for it, or its parent's parent did.
      if (!inside.has(seen.ppid)) this.#departedMs += seen.cpuMs;
    }
    this.#members = current;
    let othersMs = 0;
    let rss = 0;
    let peak = this.peakRssBytes;
    for (const member of members) {
      if (member.pid === this.leaderPid && !this.leaderEnded) this.#leaderMs = Math.max(this.#leaderMs, member.cpuMs);
      else if (member.pid !== this.leaderPid) othersMs += member.cpuMs;
      rss += member.rssBytes;
      if (member.peakRssBytes > 0) this.memoryMeasured = true;
      peak = Math.max(peak, member.peakRssBytes);
    }
    this.#othersMs = othersMs;
    this.rssBytes = rss;
    this.peakRssBytes = Math.max(peak, rss);
    if (members.length > 0) this.measured = true;
    this.#total();
  }

  /**
   * The leader was reaped; `finalMs` is its figure at death when the reap
   * meter (or its rusage) could tell, `peakRssBytes` its rusage's highest
   * RSS of it and of the children it waited for. Call after a last
   * observe() of what was left of the tree (an empty one when the group is
   * gone), or members the leader waited for would be counted twice: in its
   * figure and as still alive.
   */
  leaderReaped(finalMs: number | undefined, peakRssBytes?: number): void {
    this.leaderEnded = true;
    if (peakRssBytes !== undefined && peakRssBytes > 0) {
      // One process's peak: at most the tree's at that moment, so a floor of the tree's peak (as VmHWM is).
      this.peakRssBytes = Math.max(this.peakRssBytes, peakRssBytes);
      this.memoryMeasured = true;
    }
    if (finalMs === undefined) return;
    this.#leaderMs = Math.max(this.#leaderMs, finalMs);
    this.measured = true;
    this.#total();
  }

  #total(): void {
    this.cpuMs = Math.max(this.cpuMs, this.#departedMs + this.#leaderMs + this.#othersMs);
  }
}
