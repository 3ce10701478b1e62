/**
 * A worker's side of artifacts: before an attempt, the artifacts of the
 * tasks it depends on are fetched into this machine's data folder, where
 * `$SPIRE_ARTIFACTS/../<task>` finds them; after it, the files its patterns
 * match in its cwd are sent to the engine. The same rules as on the
 * engine's machine: regular files inside the task's folder only, never a
 * link pointing out of it, nothing from Spire's own data folder, and
 * nothing past the run's artifact limit (the engine refuses such a file at
 * its first chunk, which says its size).
 */
import { realpath } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { makePrivateDir, writePrivateFile } from "../files/private.js";
import { EngineRefused, type EngineLink } from "./engine-link.js";
import { artifactNameProblem } from "../workers/artifact-exchange.js";
import { placeLayout, type ArtifactLayout } from "../files/artifact-layout.js";
import { isInside, listFiles } from "../files/folder-files.js";
import { openRegular, whyNotFound } from "../files/regular-file.js";

/** Bytes per upload request (base64 makes them a third bigger). */
const CHUNK_BYTES = 1024 * 1024;

export interface ArtifactContext {
  link: EngineLink;
  worker: string;
  session: () => string | undefined;
  dataDir: string;
}

/** `<run>:<path>:<attempt>` → the run id. */
function runOf(attemptId: string): string {
  return attemptId.slice(0, attemptId.indexOf(":"));
}

/** Sets out the folders and links the engine planned, then fetches the files of the tasks the attempt reads. */
export async function fetchInputs(context: ArtifactContext, attempt: string, layout: ArtifactLayout | undefined, anyInputs: boolean): Promise<number> {
  const root = join(context.dataDir, "runs", runOf(attempt), "artifacts");
  if (layout) await placeLayout(root, layout);
  if (!anyInputs) return 0;
  const session = context.session();
  if (session === undefined) throw new Error("not connected to the engine");
  const files = await context.link.inputs(context.worker, session, attempt);
  for (const file of files) {
    const target = resolve(root, file.task, file.name);
    if (!isInside(root, target)) continue;
    const data = await context.link.inputFile(context.worker, session, attempt, file);
    await makePrivateDir(dirname(target));
    // Beside it: two attempts of a run on this machine that read the same task's files each fetch them, and one
    // written in place (truncated, then filled) could be read empty by the other's process, already running.
    await writePrivateFile(target, data);
  }
  return files.length;
}

/**
 * Sends what the task wrote into its own artifact folder ($SPIRE_ARTIFACTS:
 * regular files, never the links set beside it) and what the patterns match
 * in `cwd`; says in returned lines what was not sent and why.
 */
export async function sendArtifacts(context: ArtifactContext, attempt: string, own: string | undefined, cwd: string, patterns: string[]): Promise<string[]> {
  const said: string[] = [];
  for (const file of own === undefined ? [] : await listFiles(own)) {
    const notSent = await sendFile(context, attempt, file.name, file.path);
    if (notSent !== undefined) said.push(notSent);
  }
  if (patterns.length === 0) return said;
  const folder = await realpath(cwd).catch(() => undefined);
  if (folder === undefined) return ["artifacts: the task's working folder is gone; nothing was kept"];
  const data = await realpath(context.dataDir).catch(() => context.dataDir);
  const { glob } = await import("tinyglobby");
  const names = (await glob(patterns, { cwd: folder, onlyFiles: true, followSymbolicLinks: false })).sort();
  if (names.length === 0) said.push(`artifacts: no file matches ${patterns.join(" ")} in ${cwd}`);
  for (const name of names) {
    const source = await realpath(resolve(folder, name)).catch(() => undefined);
    if (source === undefined) {
      const why = whyNotFound(name);
      if (why !== undefined) said.push(`artifacts: ${name} not kept: ${why}`);
      continue;
    }
    if (!isInside(folder, source)) {
      said.push(`artifacts: ${name} not kept: a link to a file outside the task's folder`);
      continue;
    }
    if (isInside(data, source)) {
      said.push(`artifacts: ${name} not kept: inside Spire's data folder`);
      continue;
    }
    // A name the engine would refuse (a backslash in it, say): asking would only be refused, and refused again.
    const badName = artifactNameProblem(name);
    if (badName !== undefined) {
      said.push(`artifacts: ${name} not kept: its ${badName.replace(/^name: /, "name ")}`);
      continue;
    }
    const notSent = await sendFile(context, attempt, name, source);
    if (notSent !== undefined) said.push(notSent);
  }
  return said;
}

async function sendFile(context: ArtifactContext, attempt: string, name: string, path: string): Promise<string | undefined> {
  const opened = await openRegular(path);
  if (opened === undefined) return undefined; // gone since
  if ("why" in opened) return `artifacts: ${name} not kept: ${opened.why}`;
  const { handle, size } = opened;
  try {
    let offset = 0;
    do {
      const session = context.session();
      if (session === undefined) throw new Error("not connected to the engine");
      const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, size - offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) break; // it shrank since it was looked at: what was there is sent
      let answer;
      try {
        answer = await context.link.uploadChunk(context.worker, { session, attempt, name, offset, data: buffer.subarray(0, bytesRead).toString("base64"), size });
      } catch (error) {
        // A request the engine cannot take is refused again however often it is sent: this file is not kept, the attempt's end goes on.
        if (error instanceof EngineRefused && error.status === 400) return `artifacts: ${name} not kept: ${error.message} (a worker and an engine of different Spire versions may not understand each other: spire --version on both)`;
        throw error;
      }
      // The run has no room for it (its artifact limit, all its tasks together): the engine keeps none of it.
      if (answer.refused !== undefined) return `artifacts: ${name} not kept: ${answer.refused}`;
      offset = answer.accepted ? offset + bytesRead : answer.size;
    } while (offset < size);
    return undefined;
  } finally {
    await handle.close();
  }
}
