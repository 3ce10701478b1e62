/**
 * The pid file beside a supervisor's socket: who owns the socket. It holds
 * "<pid> <start time>", so that a pid reused by an unrelated process is not
 * taken for a live supervisor.
 */
import { readFileSync } from "node:fs";
import { readFile, unlink, writeFile } from "node:fs/promises";
import { HAS_PROC, parseProcStat, pidExists } from "../process-tree.js";
import { pidStartTime } from "./attempt-files.js";
import { PRIVATE_FILE_MODE } from "../../files/private.js";

export function pidFileFor(socketPath: string): string {
  return `${socketPath}.pid`;
}

export interface Owner {
  pid: number;
  startTime: string | null;
}

/** This process as a line of an owner's file: "<pid> <start time>" (the start time empty where it cannot be read). */
export function ownOwnerLine(): string {
  return `${process.pid} ${pidStartTime(process.pid) ?? ""}`;
}

/** The owner an owner line names, and the words that follow on it; undefined when it names no pid. */
export function parseOwnerLine(line: string): { owner: Owner; rest: string[] } | undefined {
  const [pid, startTime, ...rest] = line.split(" ");
  return Number.isInteger(Number(pid)) && Number(pid) > 0 ? { owner: { pid: Number(pid), startTime: startTime || null }, rest } : undefined;
}

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    return parseOwnerLine((await readFile(file, "utf8")).trim())?.owner;
  } catch {
    return undefined;
  }
}

export function ownerAlive(owner: Owner): boolean {
  if (!pidExists(owner.pid) || isZombie(owner.pid)) return false;
  const now = pidStartTime(owner.pid);
  return owner.startTime === null || now === null || now === owner.startTime;
}

/**
 * A supervisor killed after its engine died is re-parented; where nobody
 * reaps orphans (some containers' pid 1), it stays a zombie: it answers
 * kill(pid, 0) but serves nothing.
 */
function isZombie(pid: number): boolean {
  if (!HAS_PROC) return false;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "latin1"))?.state === "Z";
  } catch {
    return false;
  }
}

/**
 * Creates the pid file exclusively; a stale one (its process gone) is
 * replaced. Throws with a message for the user when a live supervisor owns it.
 * (Two supervisors started in the same instant over a stale file could both
 * win; the engine starts one at a time.)
 */
export async function claimPidFile(socketPath: string): Promise<void> {
  const file = pidFileFor(socketPath);
  const content = `${ownOwnerLine()}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await writeFile(file, content, { flag: "wx", mode: PRIVATE_FILE_MODE });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(file);
    if (owner !== undefined && owner.pid !== process.pid && ownerAlive(owner)) {
      throw new Error(`another supervisor (pid ${owner.pid}) already serves ${socketPath}; not starting a second one`);
    }
    await unlink(file).catch(() => undefined);
  }
  throw new Error(`could not claim ${file}`);
}

/** Removes the pid file if it is still ours. */
export async function releasePidFile(socketPath: string): Promise<void> {
  const file = pidFileFor(socketPath);
  if ((await readOwner(file))?.pid === process.pid) await unlink(file).catch(() => undefined);
}
