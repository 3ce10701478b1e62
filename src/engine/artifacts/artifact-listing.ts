/**
 * A run's artifacts for its readers (GET /runs/{id}/artifacts…). The files
 * are found by walking the folders of the run's own tasks, as the store
 * names them: a request only picks one of the (task, name) pairs found, and
 * the path opened is the one the walk found, never one made from its text.
 *
 * With engines sharing a store, a task whose folder in this engine's data
 * folder is missing or empty may have run on another engine: its artifacts
 * are then the copies that engine kept in the shared store
 * (sharing/artifact-copies.ts). Empty is not enough to say it ran here: an
 * engine makes a run's next tasks' folders ahead, and the run may be handed
 * to another engine before they start.
 */
import { realpath } from "node:fs/promises";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { listFiles, openInside, type FoundFile } from "../../files/folder-files.js";
import type { SharedArtifact, SharedStore } from "../../store/shared-port.js";
import { artifactFolder, runArtifactsRoot } from "./artifact-handover.js";
import { ServiceError } from "../service.js";

export interface ArtifactEntry {
  task: string;
  /** Relative to the task's artifact folder, `/` between parts. */
  name: string;
  size: number;
}

/** One artifact to send: read it (exactly `size` bytes), or close it unread. */
export interface ArtifactDownload {
  name: string;
  size: number;
  read(): Readable;
  close(): Promise<void>;
}

/** Every file kept by the run's tasks, task by task in the order given. */
export async function listRunArtifacts(dataDir: string, runId: string, taskPaths: readonly string[], shared?: SharedStore): Promise<ArtifactEntry[]> {
  const entries: ArtifactEntry[] = [];
  let elsewhere: SharedArtifact[] | undefined;
  for (const task of taskPaths) {
    const here = await filesOf(dataDir, runId, task);
    if (!shared || here.length > 0) {
      for (const file of here) entries.push({ task, name: file.name, size: file.size });
      continue;
    }
    elsewhere ??= await shared.listArtifacts(runId);
    for (const file of elsewhere) if (file.task === task) entries.push({ task, name: file.name, size: file.size });
  }
  return entries;
}

/**
 * One artifact, opened for reading. `task` and `name` come from a request:
 * they are compared with what the run has, nothing more. A name with `/`
 * sent unencoded lands partly in `task`; the pair is then split again at
 * the task path the run has.
 */
export async function openRunArtifact(dataDir: string, runId: string, taskPaths: readonly string[], task: string, name: string, shared?: SharedStore): Promise<ArtifactDownload> {
  const split = taskPaths.includes(task) ? { task, name } : resplit(taskPaths, `${task}/${name}`);
  if (!split) throw new ServiceError("not_found", `run ${runId} has no task ${JSON.stringify(task)}`, { hint: `see its artifacts: GET /api/v1/runs/${runId}/artifacts` });
  const download = (await openHere(dataDir, runId, split.task, split.name)) ?? (shared ? await openShared(shared, runId, split.task, split.name) : undefined);
  if (!download) throw new ServiceError("not_found", `task ${split.task} of run ${runId} kept no artifact ${JSON.stringify(split.name)}`, { hint: `see its artifacts: GET /api/v1/runs/${runId}/artifacts` });
  return download;
}

async function openHere(dataDir: string, runId: string, task: string, name: string): Promise<ArtifactDownload | undefined> {
  const file = (await filesOf(dataDir, runId, task)).find((found) => found.name === name);
  const opened = file && (await openInside(runArtifactsRoot(dataDir, runId), file.path));
  if (!opened) return undefined;
  const { handle, size } = opened;
  return {
    name,
    size,
    // Exactly the bytes the length announced, even if the file grows meanwhile; the handle closes at the stream's end.
    read: () => handle.createReadStream({ start: 0, end: Math.max(size - 1, 0) }),
    close: () => handle.close(),
  };
}

async function openShared(shared: SharedStore, runId: string, task: string, name: string): Promise<ArtifactDownload | undefined> {
  const found = await shared.openArtifact(runId, task, name);
  return found && { name, size: found.size, read: () => Readable.from(found.read()), close: async () => {} };
}

function resplit(taskPaths: readonly string[], whole: string): { task: string; name: string } | undefined {
  const task = taskPaths.find((path) => whole.startsWith(`${path}/`) && whole.length > path.length + 1);
  return task === undefined ? undefined : { task, name: whole.slice(task.length + 1) };
}

/** The files of one task's folder, if that folder is where it should be (no link on the way to it). */
export async function filesOf(dataDir: string, runId: string, task: string): Promise<FoundFile[]> {
  const root = runArtifactsRoot(dataDir, runId);
  const folder = artifactFolder(dataDir, runId, task);
  const [realRoot, realFolder] = await Promise.all([realpath(root).catch(() => undefined), realpath(folder).catch(() => undefined)]);
  if (realRoot === undefined || realFolder !== join(realRoot, relative(root, folder))) return [];
  return listFiles(folder);
}
