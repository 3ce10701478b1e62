/**
 * Where a run's tasks ran, and whether that is worth a word: only when it
 * is not simply the engine's machine — the run used several machines, or
 * one that is not the engine's own. The same rule as `spire show`.
 */
import type { Run } from "../../api/types";

export function machinesWorthNaming(run: Run, engineMachine: string | null | undefined): boolean {
  const machines = new Set(run.tasks.map((task) => task.worker).filter((worker): worker is string => worker != null));
  if (machines.size > 1) return true;
  // One machine: worth naming only when it is known not to be the engine's own.
  return machines.size === 1 && engineMachine != null && !machines.has(engineMachine);
}

/** Whether any task says where it ran (engines before workers do not). */
export function recordsMachines(run: Run): boolean {
  return run.tasks.some((task) => task.worker != null);
}
