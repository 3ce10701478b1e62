/**
 * The engine's own machine as a worker (GET /workers): it runs every task
 * without `runs_on`, is named by its host name, and carries the labels
 * `local` and that name. Its capacity and what is in use are the figures the
 * engine decides with (Slots, as in GET /engine).
 */
import type { WorkerInfo } from "../service.js";
import type { EngineLoad } from "../runs/run-queues.js";

export const LOCAL_LABEL = "local";

export interface LocalWorkerFacts {
  hostname: string;
  version: string;
  startedAt: number;
  now: number;
  load: Pick<EngineLoad, "slots" | "reserved" | "resources">;
}

export function localWorker(facts: LocalWorkerFacts): WorkerInfo {
  const { load } = facts;
  return {
    name: facts.hostname,
    labels: [LOCAL_LABEL, facts.hostname],
    local: true,
    // It is the engine itself: as long as anyone can ask, it is there.
    state: "connected",
    version: facts.version,
    host: facts.hostname,
    address: null,
    capacity: { tasks: load.slots.total, cpus: load.resources.cpus, memory_bytes: load.resources.memoryBytes },
    in_use: { tasks: load.slots.used, cpus: load.reserved.cpus, memory_bytes: load.reserved.memoryBytes },
    last_seen: new Date(facts.now).toISOString(),
    connected_since: new Date(facts.startedAt).toISOString(),
  };
}
