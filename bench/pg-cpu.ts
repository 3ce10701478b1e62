/**
 * CPU time of a local PostgreSQL server's processes, told apart by who they
 * serve (Linux only: /proc). A backend is one process per connection, so a
 * client's share is the CPU of the backends of its connections: found by
 * the client's own TCP sockets to the server (their local ports are the
 * backends' client_port in pg_stat_activity), or by an application_name
 * the bench gave its own pools. What no client here owns (the checkpointer,
 * the WAL writer, autovacuum, other people's connections) is counted apart.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type pg from "pg";
import { sampleProcess } from "./proc.js";

/** CPU ms so far of each live process whose command is `postgres`, by pid. */
export function postgresProcesses(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const sample = sampleProcess(Number(entry));
    if (sample?.comm === "postgres") cpu.set(sample.pid, sample.cpuMs);
  }
  return cpu;
}

/** The local ports of the TCP connections these processes hold to `serverPort` (IPv4 and IPv6). */
export function clientPorts(pids: number[], serverPort: number): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
      const remotePort = parseInt(fields[2]!.split(":")[1]!, 16);
      if (remotePort === serverPort) ports.push(parseInt(fields[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

export interface Attribution {
  /** Processes whose connections count (engines, a worker process). */
  pids: number[];
  /** application_name of the bench's own pools that count (a peer's client that adds the jobs). */
  applicationNames: string[];
}

/** The backend pids serving a client: its processes' connections and its named pools. */
export async function backendsOf(admin: pg.Pool, who: Attribution, serverPort: number): Promise<number[]> {
  const ports = clientPorts(who.pids, serverPort);
  const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[]) OR application_name = ANY($2::text[])", [ports, who.applicationNames]);
  return rows.map((row) => row.pid);
}

export interface ServerSnapshot {
  at: number;
  /** CPU ms of every postgres process. */
  all: Map<number, number>;
  /** The backends serving the system measured. */
  ours: Set<number>;
  /** Client backends of anyone else (not the system, not the bench's own statements). */
  others: Set<number>;
}

/**
 * The server's processes and which of them serve `who`; `mine` names the
 * bench's own pools (the admin and poll connections), which count for no one.
 */
export async function snapshot(admin: pg.Pool, who: Attribution, mine: string[], serverPort: number): Promise<ServerSnapshot> {
  const ours = new Set(await backendsOf(admin, who, serverPort));
  const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND NOT (application_name = ANY($1::text[]))", [mine]);
  const others = new Set(rows.map((row) => row.pid).filter((pid) => !ours.has(pid)));
  return { at: performance.now(), all: postgresProcesses(), ours, others };
}

export interface ServerCpu {
  /** CPU ms of the backends that served the system (those there at either end). */
  ours: number;
  /** CPU ms of all postgres processes (a process that ended meanwhile is lost). */
  server: number;
  /** CPU ms of other clients' backends: a neighbour's work on the same server, if any. */
  others: number;
  /** How many backends served the system. */
  backends: number;
}

/** CPU spent between two snapshots; a backend that is new at the end counts from 0. */
export function cpuBetween(before: ServerSnapshot, after: ServerSnapshot): ServerCpu {
  const spent = (pid: number) => (after.all.get(pid) ?? before.all.get(pid) ?? 0) - (before.all.get(pid) ?? 0);
  const sum = (pids: Iterable<number>) => [...pids].reduce((total, pid) => total + spent(pid), 0);
  const ours = new Set([...before.ours, ...after.ours]);
  const others = new Set([...before.others, ...after.others].filter((pid) => !ours.has(pid)));
  return { ours: sum(ours), server: sum(new Set([...before.all.keys(), ...after.all.keys()])), others: sum(others), backends: ours.size };
}
