/**
 * Artifacts across machines. A worker sends the files its attempt's
 * patterns matched, in chunks, into the run's artifact folder on the
 * engine (where local tasks' artifacts go); before an attempt it fetches
 * the artifacts of the tasks it depends on into the same place under its
 * own data folder, so `$SPIRE_ARTIFACTS/../<task>` reads as it does on the
 * engine's machine. Names come from the worker but are only ever placed
 * inside the task's own folder; which files may be read is decided by the
 * attempt's declared inputs, never by the request.
 */
import { open, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { artifactFolder } from "../engine/artifacts/artifact-handover.js";
import { isInside, listFiles } from "../files/folder-files.js";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../files/private.js";

/** `<run>:<path>:<attempt>` (engine/runs/attempt.ts attemptId) → its parts. */
export function attemptParts(attemptId: string): { runId: string; path: string; attempt: number } | undefined {
  const first = attemptId.indexOf(":");
  const last = attemptId.lastIndexOf(":");
  if (first <= 0 || last <= first) return undefined;
  return { runId: attemptId.slice(0, first), path: attemptId.slice(first + 1, last), attempt: Number(attemptId.slice(last + 1)) };
}

/** Why `name` cannot be an artifact's name (a plain relative path), or undefined. */
export function artifactNameProblem(name: string): string | undefined {
  if (name === "" || name.length > 4096) return "name: an artifact's name is a relative path of 1 to 4096 characters";
  if (name.startsWith("/") || name.split("/").some((part) => part === ".." || part === "." || part === "") || name.includes("\\") || name.includes("\0")) {
    return `name: ${JSON.stringify(name)} is not a plain relative path (no leading /, no . or .. parts, no backslash)`;
  }
  return undefined;
}

/**
 * Writes a chunk of an uploaded artifact at `offset`: 0 starts the file
 * again (an attempt sent twice replaces it), a chunk that does not follow
 * what is there is refused with the size there, and the sender goes on
 * from it.
 */
export async function storeChunk(dataDir: string, runId: string, task: string, name: string, offset: number, data: Buffer): Promise<{ size: number; accepted: boolean }> {
  const folder = artifactFolder(dataDir, runId, task);
  const file = resolve(folder, name);
  if (!isInside(folder, file) || file === folder) return { size: 0, accepted: false };
  await makePrivateDir(dirname(file));
  const have = offset === 0 ? 0 : await stat(file).then((s) => s.size, () => 0);
  if (offset !== have) return { size: have, accepted: false };
  const handle = await open(file, offset === 0 ? "w" : "a", PRIVATE_FILE_MODE);
  try {
    await handle.write(data);
  } finally {
    await handle.close();
  }
  return { size: offset + data.length, accepted: true };
}

/** The files the tasks `inputs` kept, for an attempt that depends on them. */
export async function listInputs(dataDir: string, runId: string, inputs: readonly string[]): Promise<{ task: string; name: string; size: number }[]> {
  const files: { task: string; name: string; size: number }[] = [];
  for (const task of inputs) for (const file of await listFiles(artifactFolder(dataDir, runId, task))) files.push({ task, name: file.name, size: file.size });
  return files;
}

/** Where an input file is on the engine, if `task` is among the attempt's inputs and the file is in its folder. */
export function inputPath(dataDir: string, runId: string, inputs: readonly string[], task: string, name: string): string | undefined {
  if (!inputs.includes(task) || artifactNameProblem(name) !== undefined) return undefined;
  const folder = artifactFolder(dataDir, runId, task);
  const file = resolve(folder, name);
  return isInside(folder, file) && file !== folder ? file : undefined;
}
