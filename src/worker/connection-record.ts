/**
 * What a worker last knew of its engine, in a small file of its data
 * folder: registered, waiting for an engine that does not answer, or
 * refused. `spire service status --worker` reads it (no token of its own
 * needed to ask the engine); the pid and its start time tell whether the
 * worker that wrote it still runs (pids are reused).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writePrivateFileSync } from "../files/private.js";
import { pidStartTime } from "../exec/supervisor/attempt-files.js";
import { ownerAlive } from "../exec/supervisor/pid-file.js";

export type ConnectionState = "connecting" | "registered" | "unreachable" | "refused" | "stopped";

export interface ConnectionRecord {
  state: ConnectionState;
  engine: string;
  name: string;
  /** Since when it is in this state (ISO 8601). */
  since: string;
  /** Why it is unreachable or refused. */
  message?: string;
  pid: number;
  pid_start: string | null;
}

const FILE = "connection.json";

export function connectionFile(dataDir: string): string {
  return join(dataDir, FILE);
}

/**
 * Keeps the record of one worker process, written only when the state (or
 * its reason) changes: a worker retrying an absent engine every few seconds
 * writes once. A write that fails is not the worker's business to stop for.
 */
export class ConnectionRecorder {
  private last: string | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly who: { engine: string; name: string },
  ) {}

  record(state: ConnectionState, message?: string): void {
    const key = `${state}\n${message ?? ""}`;
    if (key === this.last) return;
    this.last = key;
    const record: ConnectionRecord = { state, ...this.who, since: new Date().toISOString(), ...(message !== undefined ? { message } : {}), pid: process.pid, pid_start: pidStartTime(process.pid) };
    try {
      writePrivateFileSync(connectionFile(this.dataDir), `${JSON.stringify(record)}\n`);
    } catch {
      // Only status reads it; the worker's own log says the same.
    }
  }
}

export function readConnectionRecord(dataDir: string): ConnectionRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(connectionFile(dataDir), "utf8")) as ConnectionRecord;
    return typeof record.state === "string" && typeof record.pid === "number" ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote the record still runs: the same process (its start time matches where it can be read), not a zombie. */
export function writerRuns(record: ConnectionRecord): boolean {
  return ownerAlive({ pid: record.pid, startTime: record.pid_start });
}
