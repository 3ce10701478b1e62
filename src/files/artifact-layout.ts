/**
 * The folders and relative links a task's artifact inputs need beside its
 * own folder, as data: the engine works it out from the plan, and both the
 * engine's machine and a worker lay it out the same way under their own
 * `runs/<run>/artifacts`, so `$SPIRE_ARTIFACTS/../<name>` reads alike
 * wherever the task runs.
 */
import { lstat, symlink } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { makePrivateDir, makePrivateDirSyncOnce } from "./private.js";
import { isInside } from "./folder-files.js";

export interface ArtifactLayout {
  /** Folders to make, relative to the run's artifacts root; the first is the task's own. */
  folders: string[];
  /** `name` (relative to the root) → `target` (relative to name's folder). */
  links: { name: string; target: string }[];
}

/**
 * Makes the folders and links under `root`. Nothing is placed outside it
 * and no link points out of it, whoever computed the layout; a name that
 * already exists is left as it is (another task of the run placed it).
 */
export async function placeLayout(root: string, layout: ArtifactLayout, options: { ownMade?: boolean } = {}): Promise<void> {
  const top = resolve(root);
  for (const [index, folder] of layout.folders.entries()) {
    const path = resolve(top, folder);
    // `ownMade`: the caller made the task's own folder for this attempt (premade-folders.ts).
    if (!isInside(top, path) || (index === 0 && options.ownMade === true)) continue;
    // On this thread: a mkdir is microseconds, where a trip through the thread pool cost a task of a graph 0.3–0.5 ms.
    // The task's own is made every time: an attempt before may have removed it; its needs' were made when they started.
    makePrivateDirSyncOnce(path, { again: index === 0 });
  }
  for (const { name, target } of layout.links) {
    const at = resolve(top, name);
    if (at === top || !isInside(top, at) || !isInside(top, resolve(dirname(at), target))) continue;
    await makePrivateDir(dirname(at));
    if (await lstat(at).catch(() => undefined)) continue;
    await symlink(target, at).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
}

/** A link from `name` to `folder`, both relative to the same root. */
export function linkTo(name: string, folder: string): { name: string; target: string } {
  return { name, target: relative(dirname(join("/", name)), join("/", folder)) };
}
