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
