/**
 * Handing artifacts down (SPEC §3): a task finds what the tasks it depends
 * on kept at `$SPIRE_ARTIFACTS/../<name>`, under the name it wrote in
 * needs/on_fail/on_done. Each task's folder is `artifacts/<its path>`, so a
 * top-level task and its siblings in a group see each other as they are. The
 * rest gets a relative link beside the task's folder:
 *
 * - a task in a group that depends on a task outside it: `checks/dump → ../dump`;
 * - a dependency on an array: a folder of its copies by index,
 *   `shards/0 → ../shards[0]`, so `../shards/0/…` reads like the YAML.
 *
 * Names resolve to the nearest scope (src/plan/resolve.ts), so a link never
 * stands where a task of that name has its own folder.
 */
import { link, lstat, symlink } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { PlannedNode, Plan } from "../../plan/types.js";
import type { TaskRunRow } from "../../store/port.js";
import { attemptFiles } from "../runs/attempt.js";
import { listFiles } from "./artifact-files.js";
import { makePrivateDir, privateCopy } from "../../files/private.js";

/** A task's artifact folder (the one $SPIRE_ARTIFACTS names). */
export function artifactFolder(dataDir: string, runId: string, path: string): string {
  return attemptFiles(dataDir, runId, path, 1).artifactsDir;
}

export function runArtifactsRoot(dataDir: string, runId: string): string {
  return join(dataDir, "runs", runId, "artifacts");
}

/** Makes the task's own folder and places what it depends on beside it. */
export async function placeInputs(dataDir: string, runId: string, plan: Plan, node: PlannedNode): Promise<void> {
  const own = artifactFolder(dataDir, runId, node.path);
  await makePrivateDir(own);
  const beside = dirname(own);
  for (const path of new Set(node.deps.map((dep) => dep.path))) {
    const target = plan.byPath.get(path);
    if (!target) continue;
    const folder = target.type === "array" ? await arrayView(dataDir, runId, plan, target) : artifactFolder(dataDir, runId, target.path);
    // A dependency that kept nothing (or was skipped) still shows as an empty folder, not a dangling name.
    await makePrivateDir(folder);
    const name = join(beside, target.name);
    if (name !== folder) await linkOnce(relative(beside, folder), name);
  }
}

/** `artifacts/<array>/`: one link per copy, named by its index. */
async function arrayView(dataDir: string, runId: string, plan: Plan, array: PlannedNode): Promise<string> {
  const view = artifactFolder(dataDir, runId, array.path);
  await makePrivateDir(view);
  for (const copyPath of array.children) {
    const copy = plan.byPath.get(copyPath);
    if (copy?.arrayIndex === undefined) continue;
    const folder = artifactFolder(dataDir, runId, copy.path);
    await makePrivateDir(folder);
    await linkOnce(relative(view, folder), join(view, String(copy.arrayIndex)));
  }
  return view;
}

/** Another task of the run may have placed the same link (same scope, same meaning). */
async function linkOnce(target: string, name: string): Promise<void> {
  if (await lstat(name).catch(() => undefined)) return;
  await symlink(target, name).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
}

/**
 * A retry keeps the tasks that passed; their artifacts are in the run they
 * came from, and the tasks that run again need them here. Hard links where
 * the file system allows (no copy, and they outlive the old run's removal).
 */
export async function bringKept(dataDir: string, runId: string, kept: ReadonlyMap<string, TaskRunRow>): Promise<void> {
  for (const [path, row] of kept) {
    if (row.run_id === runId) continue;
    const from = artifactFolder(dataDir, row.run_id, path);
    const to = artifactFolder(dataDir, runId, path);
    for (const file of await listFiles(from)) {
      const dest = join(to, file.name);
      await makePrivateDir(dirname(dest));
      if (await lstat(dest).catch(() => undefined)) continue;
      // The old run may be removed meanwhile (retention): what is gone is gone, the run goes on.
      await link(file.path, dest)
        .catch(() => privateCopy(file.path, dest))
        .catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
        });
    }
  }
}
