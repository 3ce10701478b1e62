/**
 * The files of artifact folders as the engine sees them: regular files only,
 * never through a symbolic link. A task may leave links in its folder (and
 * the engine puts links beside it, to hand artifacts down): a listing, a
 * size or a download that followed one could reach any file on the machine.
 */
import { constants, readdirSync } from "node:fs";
import { lstat, open, readdir, realpath, type FileHandle } from "node:fs/promises";
import { join, relative, sep } from "node:path";

export interface FoundFile {
  /** Relative to the folder walked, with `/` between parts. */
  name: string;
  path: string;
  size: number;
}

/** Regular files under `dir`, by name; links and special files are skipped, a missing folder is empty. */
export async function listFiles(dir: string): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  // Most tasks leave their folder empty: one look on the loop's thread says so in microseconds, where the
  // walk below takes two trips through the thread pool (see log-shipper.ts's stat).
  if (isEmptyOrMissing(dir)) return found;
  const top = await lstat(dir).catch(() => undefined);
  if (!top?.isDirectory()) return found;
  await walk(dir, "", found);
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return true; // missing, or not a folder: nothing listed, as below
  }
}

async function walk(dir: string, prefix: string, into: FoundFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const name = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) await walk(path, name, into);
    else if (entry.isFile()) {
      const stat = await lstat(path).catch(() => undefined);
      if (stat?.isFile()) into.push({ name, path, size: stat.size });
    }
  }
}

/** Bytes of the regular files under `dir` (links not followed); 0 when it is missing. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const file of await listFiles(dir)) total += file.size;
  return total;
}

/** Is `path` inside `folder` (or the folder itself)? Both absolute and resolved. */
export function isInside(folder: string, path: string): boolean {
  const rest = relative(folder, path);
  return rest === "" || (!rest.startsWith(`..${sep}`) && rest !== ".." && !rest.startsWith(sep) && !/^[A-Za-z]:/.test(rest));
}

/**
 * Opens a file for reading only if, links resolved, it is a regular file
 * inside `root`; the last part is opened with O_NOFOLLOW, so a link swapped
 * in after the check is refused, not followed.
 */
export async function openInside(root: string, path: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  const [realRoot, realPath] = await Promise.all([realpath(root).catch(() => undefined), realpath(path).catch(() => undefined)]);
  // Inside, and by the path asked for: no link anywhere between the root and the file.
  if (realRoot === undefined || realPath === undefined || !isInside(realRoot, realPath) || realPath !== join(realRoot, relative(root, path))) return undefined;
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!handle) return undefined;
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    return undefined;
  }
  return { handle, size: stat.size };
}
