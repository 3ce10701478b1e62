/**
 * Artifacts between this engine's data folder and the shared store: a
 * task's folder copied there when its attempt ends (whatever is in it: what
 * `artifacts:` kept and what the task wrote to $SPIRE_ARTIFACTS), and a
 * task's copy written back into a folder here (a retry through this engine
 * of a run another engine ran: the tasks that run again need what the kept
 * ones made).
 */
import { createWriteStream } from "node:fs";
import { lstat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isInside, listFiles, openInside } from "../../files/folder-files.js";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../../files/private.js";
import type { ArtifactUpload, SharedStore } from "../../store/shared-port.js";
import { artifactFolder, runArtifactsRoot } from "../artifacts/artifact-handover.js";

/** Copies the task's artifact folder into the shared store, as it is now; nothing when it has no files. */
export async function shareTaskArtifacts(shared: SharedStore, dataDir: string, runId: string, task: string): Promise<void> {
  const root = runArtifactsRoot(dataDir, runId);
  const files = await listFiles(artifactFolder(dataDir, runId, task));
  if (files.length === 0) return;
  const uploads: ArtifactUpload[] = files.map((file) => ({
    name: file.name,
    size: file.size,
    async *read() {
      // Opened as the listing does: a file swapped for a link since is not followed.
      const opened = await openInside(root, file.path);
      if (!opened || file.size === 0) return void (await opened?.handle.close());
      yield* opened.handle.createReadStream({ start: 0, end: file.size - 1 }) as AsyncIterable<Buffer>;
    },
  }));
  await shared.replaceArtifacts(runId, task, uploads);
}

/**
 * Writes the shared copies of `fromRun`'s task into `folder` (a file there
 * already is kept). The names come from the store, written by another
 * engine: one that is not a plain relative path inside the folder is skipped.
 */
export async function fetchTaskArtifacts(shared: SharedStore, fromRun: string, task: string, folder: string): Promise<void> {
  for (const artifact of await shared.listArtifacts(fromRun)) {
    if (artifact.task !== task || !plainName(artifact.name)) continue;
    const dest = resolve(folder, artifact.name);
    if (!isInside(folder, dest) || (await lstat(dest).catch(() => undefined))) continue;
    const found = await shared.openArtifact(fromRun, task, artifact.name);
    if (!found) continue;
    await makePrivateDir(dirname(dest));
    await pipeline(Readable.from(found.read()), createWriteStream(dest, { flags: "wx", mode: PRIVATE_FILE_MODE }));
  }
}

function plainName(name: string): boolean {
  return name !== "" && !name.startsWith("/") && !name.includes("\u0000") && !name.split("/").some((part) => part === "" || part === "." || part === "..");
}
