/** Whether a run's definition is still as the engine saw it (RunCreation.madeFrom), from the stored rows: for every adapter. */
import type { DefinitionSeen } from "./port.js";

export function stillAsSeen(pipeline: { digest: string; paused: boolean } | undefined, namespaceUpdatedAt: number | null, seen: DefinitionSeen): boolean {
  return pipeline !== undefined && pipeline.digest === seen.digest && (seen.paused === undefined || pipeline.paused === seen.paused) && namespaceUpdatedAt === seen.namespaceUpdatedAt;
}
