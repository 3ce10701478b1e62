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
import { link, lstat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PlannedNode, Plan } from "../../plan/types.js";
import type { TaskRunRow } from "../../store/port.js";
import { attemptFiles } from "../runs/attempt.js";
import { listFiles } from "../../files/folder-files.js";
import { makePrivateDir, privateCopy } from "../../files/private.js";
import { linkTo, placeLayout, type ArtifactLayout } from "../../files/artifact-layout.js";

/** A task's artifact folder (the one $SPIRE_ARTIFACTS names). */
export function artifactFolder(dataDir: string, runId: string, path: string): string {
  return attemptFiles(dataDir, runId, path, 1).artifactsDir;
}

export function runArtifactsRoot(dataDir: string, runId: string): string {
  return join(dataDir, "runs", runId, "artifacts");
}

/**
 * What a task's inputs need beside its own folder (relative to the run's
 * artifacts root): its own folder, its dependencies' folders (a dependency
 * that kept nothing, or was skipped, still shows as an empty folder, not a
 * dangling name) and the links to those outside its scope.
 */
export function inputLayout(plan: Plan, node: PlannedNode): ArtifactLayout {
  const folders = [node.path];
  const links: ArtifactLayout["links"] = [];
  const beside = dirname(node.path);
  for (const path of new Set(node.deps.map((dep) => dep.path))) {
    const target = plan.byPath.get(path);
    if (!target) continue;
    folders.push(target.path);
    if (target.type === "array") {
      for (const copy of arrayCopies(plan, target)) {
        folders.push(copy.path);
        links.push(linkTo(join(target.path, String(copy.arrayIndex)), copy.path));
      }
    }
    const name = beside === "." ? target.name : join(beside, target.name);
    if (name !== target.path) links.push(linkTo(name, target.path));
  }
  return { folders, links };
}

/** The folders whose files a task reads: its dependencies', an array's by its copies (its own folder only holds links). */
export function inputFolders(plan: Plan, node: PlannedNode): string[] {
  const folders = new Set<string>();
  for (const dep of node.deps) {
    const target = plan.byPath.get(dep.path);
    if (target?.type === "array") for (const copy of arrayCopies(plan, target)) folders.add(copy.path);
    else if (target) folders.add(target.path);
  }
  return [...folders];
}

function arrayCopies(plan: Plan, array: PlannedNode): PlannedNode[] {
  return array.children.map((path) => plan.byPath.get(path)).filter((copy): copy is PlannedNode => copy?.arrayIndex !== undefined);
}

/** Makes the task's own folder and places what it depends on beside it. */
export async function placeInputs(dataDir: string, runId: string, plan: Plan, node: PlannedNode, options: { ownMade?: boolean } = {}): Promise<void> {
  await placeLayout(runArtifactsRoot(dataDir, runId), inputLayout(plan, node), options);
}

/**
 * A retry keeps the tasks that passed; their artifacts are in the run they
 * came from, and the tasks that run again need them here. Hard links where
 * the file system allows (no copy, and they outlive the old run's removal).
 * A run another engine ran has no folder here: `fetchElsewhere` writes its
 * kept task's files from where that engine left them (the shared store).
 */
export async function bringKept(dataDir: string, runId: string, kept: ReadonlyMap<string, TaskRunRow>, fetchElsewhere?: (fromRun: string, path: string, to: string) => Promise<void>): Promise<void> {
  for (const [path, row] of kept) {
    if (row.run_id === runId) continue;
    const from = artifactFolder(dataDir, row.run_id, path);
    const to = artifactFolder(dataDir, runId, path);
    if (fetchElsewhere && !(await lstat(from).catch(() => undefined))) {
      await fetchElsewhere(row.run_id, path, to);
      continue;
    }
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
