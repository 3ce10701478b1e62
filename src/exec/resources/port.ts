/**
 * What resource sampling needs from the operating system, behind one small
 * port: Linux reads /proc (linux.ts), macOS asks `ps` (macos.ts), anything
 * else answers nothing and the figures stay unknown.
 */
import type { ProcInfo } from "../process-tree.js";

/** A process with its CPU time so far. */
export interface ProcessCpu extends ProcInfo {
  /**
   * User + system CPU in ms of the process and of the children it has
   * waited for (once waited for, a child's time moves into its parent's).
   */
  cpuMs: number;
}

export interface ProcessMemory {
  /** Resident set size now. */
  rssBytes: number;
  /** The highest RSS this process ever had (Linux VmHWM), or rssBytes where the system does not say. */
  peakRssBytes: number;
}

export interface UsageProbe {
  /**
   * Every process of this machine with its CPU time; empty where the system
   * cannot tell. The figures of `watched` pids (and of processes new since
   * the last call) are fresh; an implementation may keep older answers for
   * the others, which sampling does not add up.
   */
  processes(watched: ReadonlySet<number>): Promise<ProcessCpu[]>;
  /**
   * The same, answered in the caller's turn where that is possible (Linux),
   * so the rest of a group can be read between its leader's exit and the
   * SIGKILL that follows it in the same turn.
   */
  processesNow?(watched: ReadonlySet<number>): ProcessCpu[];
  /** Memory of one live process, or undefined when it is gone or cannot be read. Called after processes(), for the tree's members only. */
  memory(pid: number): ProcessMemory | undefined;
  /**
   * User + system CPU in ms of every child this process has reaped so far
   * (its own cutime + cstime), or undefined where unknown. Read right after
   * an attempt's leader is reaped, it gives the leader's final figure.
   */
  reapedChildrenCpuMs(): number | undefined;
}

/** What an attempt used, as far as sampling could see. */
export interface TreeUsage {
  /** CPU of the whole tree so far (never decreases). */
  cpuMs: number;
  /** Sum of the RSS of the tree's processes at the last sample. */
  rssBytes: number;
  peakRssBytes: number;
}

/** Limits on the whole tree (LaunchSpec.limits). */
export interface TreeLimits {
  memoryBytes?: number;
  cpuTimeMs?: number;
}
