/**
 * What a task asks of the engine while it runs (SPEC §2 `resources`,
 * `locks`) and what the engine has to give: its cpus and memory (the
 * machine's, or `--cpus` / `--memory`). The bookkeeping lives in Slots; this
 * module says what a request is and whether it can ever be met.
 */
import { availableParallelism, totalmem } from "node:os";
import type { TaskDef } from "../../definitions/schema.js";
import { formatBytes } from "../../files/format.js";
import { normaliseLocks, type LockHolder, type LockRequest } from "./locks.js";

export interface ResourceCapacity {
  cpus: number;
  memoryBytes: number;
  /** Where each figure comes from, for the reason of a request that can never fit. */
  cpusFrom: string;
  memoryFrom: string;
}

/** One task attempt's share: cpus and memory reserved, lock units held, all while it runs. */
export interface TaskRequest {
  cpus: number;
  memoryBytes: number;
  locks: readonly LockRequest[];
  /** A lock's capacity as its namespace declares it (1 when undeclared). */
  capacityOf: (lock: string) => number;
  /** Whose request it is, named in the lock table while its units are held. */
  holder?: LockHolder;
}

/** What a task without `resources:` or `locks:` asks for: a parallelism slot and nothing more. */
export const SLOT_ONLY: TaskRequest = { cpus: 0, memoryBytes: 0, locks: [], capacityOf: () => 1 };

/** The engine's capacity: what is given, else this machine's cores and memory. */
export function engineCapacity(given: { cpus?: number; memoryBytes?: number } = {}): ResourceCapacity {
  return {
    cpus: given.cpus ?? availableParallelism(),
    memoryBytes: given.memoryBytes ?? totalmem(),
    cpusFrom: given.cpus === undefined ? "this machine's cores" : "--cpus",
    memoryFrom: given.memoryBytes === undefined ? "this machine's memory" : "--memory",
  };
}

/** A task's request, read from its definition; capacities are its namespace's `locks:`. */
export function taskRequest(def: Pick<TaskDef, "resources" | "locks">, capacities: Readonly<Record<string, number>> = {}, holder?: LockHolder): TaskRequest {
  const locks = normaliseLocks(def.locks ?? []);
  const cpus = def.resources?.cpus ?? 0;
  const memoryBytes = def.resources?.memory ?? 0;
  if (cpus === 0 && memoryBytes === 0 && locks.length === 0) return SLOT_ONLY;
  return { cpus, memoryBytes, locks, capacityOf: (lock) => capacities[lock] ?? 1, ...(holder ? { holder } : {}) };
}

/** Why a request can never be met by this engine, however long it waits; undefined when it can. */
export function beyondCapacity(request: TaskRequest, capacity: ResourceCapacity): string | undefined {
  if (request.cpus > capacity.cpus) return `it asks for ${request.cpus} cpus; this engine has ${capacity.cpus} (${capacity.cpusFrom})`;
  if (request.memoryBytes > capacity.memoryBytes) {
    return `it asks for ${formatBytes(request.memoryBytes)} of memory; this engine has ${formatBytes(capacity.memoryBytes)} (${capacity.memoryFrom})`;
  }
  for (const { name, count } of request.locks) {
    const most = request.capacityOf(name);
    if (count > most) return `it takes ${count} units of lock ${name}, whose capacity is ${most} (declare more with locks: { ${name}: ${count} } at the top of the definitions file)`;
  }
  return undefined;
}
