/**
 * The records a supervisor leaves beside each attempt's log, so that an
 * engine restarting after the supervisor itself died can tell an attempt
 * that finished (`<log>.result.json`) from one that was started and lost
 * (`<log>.started.json` only; its pid and start time say whether it runs on).
 * Both are written whole or not at all: temp file, then rename.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AttemptReport } from "../port.js";
import { HAS_PROC, parseProcStat } from "../process-tree.js";

export interface StartedRecord {
  pid: number;
  startedAt: number;
  /** /proc/<pid>/stat field 22 (clock ticks since boot): with the pid, names the process for its whole life. Null off Linux. */
  pidStartTime: string | null;
}

/** `runs/R/tasks/a/1.log` → `runs/R/tasks/a/1.started.json` and `…/1.result.json`. */
export function attemptFiles(logFile: string): { started: string; result: string } {
  const base = logFile.endsWith(".log") ? logFile.slice(0, -4) : logFile;
  return { started: `${base}.started.json`, result: `${base}.result.json` };
}

/**
 * Read synchronously on purpose: called in the same turn as the spawn, the
 * child cannot have been reaped yet, so its stat is certainly readable (a
 * few microseconds; an async read could come back after the pid is gone).
 */
export function pidStartTime(pid: number): string | null {
  if (!HAS_PROC) return null;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "latin1"))?.startTime ?? null;
  } catch {
    return null;
  }
}

let tempCounter = 0;

/**
 * Writes JSON so that readers see the old file or the new one, never a part (rename is atomic).
 *
 * Synchronous on purpose: a record is a few hundred bytes, and its three
 * syscalls (create, write, rename) cost less than the thread pool's round
 * trips would (open, write, close, rename: four wake-ups of a pool thread
 * and of the loop, twice per task, on the way to every result; measured
 * with bench/spawn). It also puts the started record on disk in the same
 * turn as the spawn, before anyone hears of the attempt.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  const text = JSON.stringify(value);
  try {
    writeFileSync(temp, text);
  } catch (error) {
    // The log folder is only created on the first line of output; a silent task may not have it yet.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temp, text);
  }
  renameSync(temp, file);
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return undefined; // absent (or, impossible with rename, partial)
  }
}

/** What the supervisor recorded about an attempt; both absent when it never got to spawn it. */
export async function readAttemptRecords(logFile: string): Promise<{ started?: StartedRecord; result?: AttemptReport }> {
  const files = attemptFiles(logFile);
  const [started, result] = await Promise.all([readJson<StartedRecord>(files.started), readJson<AttemptReport>(files.result)]);
  return { ...(started !== undefined ? { started } : {}), ...(result !== undefined ? { result } : {}) };
}
