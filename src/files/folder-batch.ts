/**
 * Private folders made in batches off the event loop's thread: one trip
 * through the thread pool for many folders (native/folders.c) where the
 * addon has it, else one node:fs mkdir after another. Each folder's parent
 * must exist; a folder already there counts as made.
 */
import { mkdir } from "node:fs";
import { getSystemErrorName } from "node:util";
import { loadAddon } from "../native/addon.js";
import { PRIVATE_DIR_MODE } from "./private.js";

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
