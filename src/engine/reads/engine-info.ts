/**
 * The engine as GET /engine shows it: what runs (version, since when, pid,
 * store, supervisor) and what is in use (task slots, cpus and memory
 * reserved, locks and their holders, runs under way and waiting per
 * pipeline). The figures are the ones the engine decides with (RunQueues,
 * Slots, LockTable), the same source as GET /metrics.
 *
 * Paths (the data folder, the SQLite file) are for admin tokens only: a
 * read token is handed out to dashboards and other machines, and a path
 * says who the user is and how the machine is laid out.
 */
import type { NamespaceRow, StoreDescription } from "../../store/port.js";
import type { SharedLockHolder } from "../../store/shared-port.js";
import type { AttemptKeeper } from "../../exec/port.js";
import type { EngineLoad } from "../runs/run-queues.js";

export interface EngineInfo {
  version: string;
  status: "ok" | "draining";
  started_at: string;
  uptime_ms: number;
  pid: number;
  node: string;
  /** Admin only. */
  data_dir?: string;
  /** `location` for admin only. */
  store: { kind: StoreDescription["kind"]; location?: string };
  /** Sharing its store with other engines: whether this one leads the scheduling (fires time triggers) now; null alone. */
  scheduling: { leading: boolean } | null;
  /** Where tasks run: a supervisor process that outlives the engine, or the engine's own process. */
  executor: "supervisor" | "in-process";
  supervisor: { pid: number | null; started_at: string | null; connected: boolean; lost_reason: string | null } | null;
  capacity: {
    task_slots: { used: number; total: number };
    cpus: { reserved: number; total: number; from: string };
    memory_bytes: { reserved: number; total: number; from: string };
  };
  runs: { running: number; waiting: number };
  locks: { name: string; capacity: number; declared: Record<string, number>; held: number; holders: { run_id: string; task: string | null; count: number }[] }[];
  queues: { namespace: string; pipeline: string; running: number; waiting: number }[];
}

export interface EngineFacts {
  version: string;
  draining: boolean;
  startedAt: number;
  now: number;
  dataDir: string;
  store: StoreDescription;
  supervisor: AttemptKeeper | undefined;
  load: EngineLoad;
  namespaces: readonly NamespaceRow[];
  withPaths: boolean;
  /** Undefined for an engine alone on its store. */
  leading?: boolean;
  /** Sharing its store: every engine's holders of named locks (else the engine's own, from `load`). */
  lockHolders?: readonly SharedLockHolder[];
}

export function engineInfo(facts: EngineFacts): EngineInfo {
  const { load, supervisor } = facts;
  return {
    version: facts.version,
    status: facts.draining ? "draining" : "ok",
    started_at: new Date(facts.startedAt).toISOString(),
    uptime_ms: facts.now - facts.startedAt,
    pid: process.pid,
    node: process.version,
    ...(facts.withPaths ? { data_dir: facts.dataDir } : {}),
    store: { kind: facts.store.kind, ...(facts.withPaths ? { location: facts.store.location } : {}) },
    scheduling: facts.leading === undefined ? null : { leading: facts.leading },
    executor: supervisor ? "supervisor" : "in-process",
    supervisor: supervisor
      ? {
          pid: supervisor.pid ?? null,
          started_at: supervisor.startedAt > 0 ? new Date(supervisor.startedAt).toISOString() : null,
          connected: supervisor.lostReason === undefined,
          lost_reason: supervisor.lostReason ?? null,
        }
      : null,
    capacity: {
      task_slots: load.slots,
      cpus: { reserved: load.reserved.cpus, total: load.resources.cpus, from: load.resources.cpusFrom },
      memory_bytes: { reserved: load.reserved.memoryBytes, total: load.resources.memoryBytes, from: load.resources.memoryFrom },
    },
    runs: { running: load.queues.reduce((sum, queue) => sum + queue.running, 0), waiting: load.queues.reduce((sum, queue) => sum + queue.waiting, 0) },
    locks: locksOf(load, facts.namespaces, facts.lockHolders),
    queues: load.queues.sort((a, b) => b.running + b.waiting - (a.running + a.waiting) || a.namespace.localeCompare(b.namespace) || a.pipeline.localeCompare(b.pipeline)),
  };
}

/**
 * Every lock a definitions file declares, and every lock held now. A lock's
 * capacity is declared per namespace (`locks:` at the top of its file), and
 * each holder is held to its own namespace's: `capacity` is the largest
 * declared (1 when none is), `declared` each namespace's.
 */
function locksOf(load: EngineLoad, namespaces: readonly NamespaceRow[], everyEngine: readonly SharedLockHolder[] | undefined): EngineInfo["locks"] {
  const declared = new Map<string, Record<string, number>>();
  for (const namespace of namespaces) {
    const locks = namespace.metadata.locks;
    if (typeof locks !== "object" || locks === null) continue;
    for (const [name, capacity] of Object.entries(locks)) {
      if (typeof capacity === "number") declared.set(name, { ...declared.get(name), [namespace.name]: capacity });
    }
  }
  const holders = new Map<string, { run_id: string; task: string | null; count: number }[]>();
  const holding = everyEngine ?? load.locks.flatMap((lock) => lock.holders.map(({ holder, count }) => ({ name: lock.name, run_id: holder.run_id, task: holder.task, count })));
  for (const { name, run_id, task, count } of holding) holders.set(name, [...(holders.get(name) ?? []), { run_id, task, count }]);
  const names = [...new Set([...declared.keys(), ...holders.keys()])].sort();
  return names.map((name) => {
    const byNamespace = declared.get(name) ?? {};
    const held = holders.get(name) ?? [];
    return {
      name,
      capacity: Math.max(1, ...Object.values(byNamespace)),
      declared: byNamespace,
      held: held.reduce((sum, holder) => sum + holder.count, 0),
      holders: held,
    };
  });
}
