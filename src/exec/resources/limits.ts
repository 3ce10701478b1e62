/** `limits: { memory, cpu_time }` of a task, against its tree's usage: the reason it must end, if any. */
import { formatBytes, formatDuration } from "../../files/format.js";
import type { TreeLimits, TreeUsage } from "./port.js";

export function hasLimits(limits: TreeLimits | undefined): boolean {
  return limits?.memoryBytes !== undefined || limits?.cpuTimeMs !== undefined;
}

/** Memory is the tree's RSS now (a past peak already read is not held against it); CPU is its total so far. */
export function limitExceeded(limits: TreeLimits | undefined, usage: TreeUsage): string | undefined {
  const { memoryBytes, cpuTimeMs } = limits ?? {};
  if (memoryBytes !== undefined && usage.rssBytes > memoryBytes) {
    return `memory limit ${formatBytes(memoryBytes)} exceeded (peak ${formatBytes(usage.peakRssBytes)})`;
  }
  if (cpuTimeMs !== undefined && usage.cpuMs > cpuTimeMs) {
    return `cpu time limit ${formatDuration(cpuTimeMs)} exceeded (used ${formatDuration(Math.round(usage.cpuMs))})`;
  }
  return undefined;
}
