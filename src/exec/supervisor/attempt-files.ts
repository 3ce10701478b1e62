/**
 * The records a supervisor leaves beside each attempt's log, so that an
 * engine restarting after the supervisor itself died can tell an attempt
 * that finished (a result record) from one that was started and lost (a
 * started record only; its pid and start time say whether it runs on).
 *
 * Both go into one file, `<log base>.records`, one JSON line each, each
 * appended by a single write: the started record creates the file, the
 * result is appended. A line cut short by a crash does not parse and counts
 * as absent, as a temp file never renamed did; one file instead of a temp
 * file and a rename per record saves, per task, an inode allocation and two
 * renames, which bench/spawn measured among the largest costs of an attempt.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AttemptReport, AttemptTraces, StartedRecord } from "../port.js";

export type { StartedRecord } from "../port.js";
import { HAS_PROC, parseProcStat } from "../process-tree.js";
import { makePrivateDirSync, PRIVATE_FILE_MODE } from "../../files/private.js";


/** `runs/R/tasks/a.1.log` → `runs/R/tasks/a.1.records`. */
export function attemptFiles(logFile: string): { records: string } {
  const base = logFile.endsWith(".log") ? logFile.slice(0, -4) : logFile;
  return { records: `${base}.records` };
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

type RecordLine = { started: StartedRecord } | { result: AttemptReport };

/**
 * Appends one record as one line in one write (O_APPEND): readers see it
 * whole or, after a crash in the middle, a line that does not parse.
 * Synchronous on purpose: a record is a few hundred bytes, and its
 * syscalls cost less than thread-pool round trips on the way to every
 * result; it also puts the started record on disk in the spawn's turn.
 */
export function appendRecord(logFile: string, record: RecordLine): void {
  const file = attemptFiles(logFile).records;
  const line = `${JSON.stringify(record)}\n`;
  try {
    appendFileSync(file, line, { mode: PRIVATE_FILE_MODE });
  } catch (error) {
    // The log folder is only created on the first line of output; a silent task may not have it yet.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    makePrivateDirSync(dirname(file));
    appendFileSync(file, line, { mode: PRIVATE_FILE_MODE });
  }
}

/** What the supervisor recorded about an attempt; both absent when it never got to spawn it. The last of each kind counts. */
export async function readAttemptRecords(logFile: string): Promise<AttemptTraces> {
  let text: string;
  try {
    text = await readFile(attemptFiles(logFile).records, "utf8");
  } catch {
    return {}; // never started
  }
  const found: AttemptTraces = {};
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const record = JSON.parse(line) as Partial<{ started: StartedRecord; result: AttemptReport }>;
      if (record.started !== undefined) found.started = record.started;
      if (record.result !== undefined) found.result = record.result;
    } catch {
      // a line cut short by a crash: as if never written
    }
  }
  return found;
}

/** Kills the attempt's process group, but only if its pid still names the same process (pids are reused). */
export function killIfStillItself(started: StartedRecord): boolean {
  if (started.pidStartTime === null || pidStartTime(started.pid) !== started.pidStartTime) return false;
  try {
    process.kill(-started.pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}
