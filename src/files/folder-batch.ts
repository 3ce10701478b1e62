/**
 * Private folders made in batches off the event loop's thread: one trip
 * through the thread pool for many folders (native/folders.c) where the
 * addon has it, else one node:fs mkdir after another. Each folder's parent
 * must exist; a folder already there counts as made.
 */
import { mkdir } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { getSystemErrorName } from "node:util";
import { loadAddon } from "../native/addon.js";
import { makePrivateDir, PRIVATE_DIR_MODE, rememberMadeFolder } from "./private.js";

interface FolderAddon {
  makeFolders?(paths: string, mode: number, done: (made: number, errno: number) => void): void;
}

/** How many of `paths` were made, in order, before the first that could not be (with its error), or all of them. */
export interface BatchMade {
  made: number;
  error?: NodeJS.ErrnoException;
}

export function makeFolderBatch(paths: readonly string[]): Promise<BatchMade> {
  const loaded = loadAddon();
  const addon = "addon" in loaded ? (loaded.addon as FolderAddon) : undefined;
  if (paths.length === 0) return Promise.resolve({ made: 0 });
  if (addon?.makeFolders === undefined || paths.some((path) => path.includes("\0"))) return oneByOne(paths);
  return new Promise((resolve) =>
    addon.makeFolders!(paths.join("\0"), PRIVATE_DIR_MODE, (made, errno) => resolve(errno === 0 ? { made } : { made, error: failure(errno, paths[made]!) })),
  );
}

async function oneByOne(paths: readonly string[]): Promise<BatchMade> {
  for (const [index, path] of paths.entries()) {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      try {
        mkdir(path, { mode: PRIVATE_DIR_MODE }, (error) => resolve(error?.code === "EEXIST" ? null : error));
      } catch (error) {
        resolve(error as NodeJS.ErrnoException); // a path Node refuses outright (a NUL in it)
      }
    });
    if (error !== null) return { made: index, error };
  }
  return { made: paths.length };
}

function failure(errno: number, path: string): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  return Object.assign(new Error(`${code}: cannot make the folder ${path}`), { errno: -errno, code, syscall: "mkdir", path });
}

/**
 * Each of `folders` with whatever of its parents below `root` is missing, in
 * one batch, parents first (a new run's folders: three levels and more,
 * where a recursive mkdir through node:fs is a thread-pool trip a level, on
 * the way to the run's first task). Where the batch stops (`root` itself
 * missing, say), makePrivateDir makes each folder, and throws what it meets.
 */
export async function makeFolderTrees(root: string, folders: readonly string[]): Promise<void> {
  const chain = new Set<string>();
  const elsewhere: string[] = [];
  for (const folder of folders) {
    const below = relative(root, folder);
    if (below === "" || below.startsWith("..") || isAbsolute(below)) {
      elsewhere.push(folder);
      continue;
    }
    let at = root;
    for (const part of below.split(sep)) chain.add((at = join(at, part)));
  }
  const { error } = await makeFolderBatch([...chain]);
  for (const folder of error === undefined ? elsewhere : folders) await makePrivateDir(folder);
  // Made: makePrivateDirSyncOnce need not make them again (placeLayout, for the folders of a task's needs).
  for (const folder of folders) rememberMadeFolder(resolve(folder));
}
