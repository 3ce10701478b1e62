/**
 * A retry keeps the tasks that passed, and their logs with them. Each kept
 * log is hard-linked into the retried run's own folder (copied where links
 * are refused) before the kept rows are written, and the rows point there.
 * Retention then removes whole run folders as it always did: the original
 * run's removal cannot take a kept log along, and no sweep has to work out
 * which runs still point into another run's folder. A link costs no space.
 */
import { link, lstat } from "node:fs/promises";
import { dirname } from "node:path";
import { makePrivateDir, privateCopy } from "../../files/private.js";
import type { EventRow, StateChange, TaskRunRow } from "../../store/port.js";
import { attemptFiles } from "./attempt.js";

/** The log file the kept row should name: `to` once the log is there, else `from` as it was (gone already: nothing to keep). */
export async function bringKeptLog(from: string | null, to: string): Promise<string | null> {
  if (from === null || from === to) return from;
  // A run resumed after a crash may have linked it already.
  if (await lstat(to).catch(() => undefined)) return to;
  await makePrivateDir(dirname(to));
  try {
    await link(from, to).catch(() => privateCopy(from, to));
    return to;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return from;
    throw error;
  }
}

/** A retry's kept rows, as its start records them: as attempt 1 of this run, each naming its log in this run's own folder. */
export function keptChanges(kept: ReadonlyMap<string, TaskRunRow>, runId: string, dataDir: string, now: number): Promise<StateChange[]> {
  return Promise.all(
    [...kept].map(async ([path, row]) => {
      const event: Omit<EventRow, "seq"> = { run_id: runId, ts: now, type: "task.kept", task_path: path, attempt: 1, data: { from_run: row.run_id, from_attempt: row.attempt } };
      const logFile = await bringKeptLog(row.log_file, attemptFiles(dataDir, runId, path, 1).logFile);
      return { event, task: { ...row, run_id: runId, attempt: 1, reason: `kept from run ${row.run_id}`, log_file: logFile } };
    }),
  );
}
