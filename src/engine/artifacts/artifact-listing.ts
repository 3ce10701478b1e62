/**
 * A run's artifacts for its readers (GET /runs/{id}/artifacts…). The files
 * are found by walking the folders of the run's own tasks, as the store
 * names them: a request only picks one of the (task, name) pairs found, and
 * the path opened is the one the walk found, never one made from its text.
 */
import type { FileHandle } from "node:fs/promises";
import { realpath } from "node:fs/promises";
import { join, relative } from "node:path";
import { listFiles, openInside, type FoundFile } from "../../files/folder-files.js";
import { artifactFolder, runArtifactsRoot } from "./artifact-handover.js";
import { ServiceError } from "../service.js";

export interface ArtifactEntry {
  task: string;
  /** Relative to the task's artifact folder, `/` between parts. */
  name: string;
  size: number;
}

/** Every file kept by the run's tasks, task by task in the order given. */
export async function listRunArtifacts(dataDir: string, runId: string, taskPaths: readonly string[]): Promise<ArtifactEntry[]> {
  const entries: ArtifactEntry[] = [];
  for (const task of taskPaths) {
    for (const file of await filesOf(dataDir, runId, task)) entries.push({ task, name: file.name, size: file.size });
  }
  return entries;
}

/**
 * One artifact, opened for reading. `task` and `name` come from a request:
 * they are compared with what the run has, nothing more. A name with `/`
 * sent unencoded lands partly in `task`; the pair is then split again at
 * the task path the run has.
 */
export async function openRunArtifact(dataDir: string, runId: string, taskPaths: readonly string[], task: string, name: string): Promise<{ handle: FileHandle; size: number; name: string }> {
  const split = taskPaths.includes(task) ? { task, name } : resplit(taskPaths, `${task}/${name}`);
  if (!split) throw new ServiceError("not_found", `run ${runId} has no task ${JSON.stringify(task)}`, { hint: `see its artifacts: GET /api/v1/runs/${runId}/artifacts` });
  const file = (await filesOf(dataDir, runId, split.task)).find((found) => found.name === split.name);
  const opened = file && (await openInside(runArtifactsRoot(dataDir, runId), file.path));
  if (!opened) throw new ServiceError("not_found", `task ${split.task} of run ${runId} kept no artifact ${JSON.stringify(split.name)}`, { hint: `see its artifacts: GET /api/v1/runs/${runId}/artifacts` });
  return { ...opened, name: split.name };
}

function resplit(taskPaths: readonly string[], whole: string): { task: string; name: string } | undefined {
  const task = taskPaths.find((path) => whole.startsWith(`${path}/`) && whole.length > path.length + 1);
  return task === undefined ? undefined : { task, name: whole.slice(task.length + 1) };
}

/** The files of one task's folder, if that folder is where it should be (no link on the way to it). */
async function filesOf(dataDir: string, runId: string, task: string): Promise<FoundFile[]> {
  const root = runArtifactsRoot(dataDir, runId);
  const folder = artifactFolder(dataDir, runId, task);
  const [realRoot, realFolder] = await Promise.all([realpath(root).catch(() => undefined), realpath(folder).catch(() => undefined)]);
  if (realRoot === undefined || realFolder !== join(realRoot, relative(root, folder))) return [];
  return listFiles(folder);
}
