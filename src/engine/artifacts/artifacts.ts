/**
 * Artifacts of one run (SPEC §2 `artifacts:`, §3 `SPIRE_ARTIFACTS`). Before
 * an attempt: its folder, and the folders of what it depends on beside it
 * (artifact-handover.ts). After an attempt — whatever its result, since a
 * failed task's files are often what explains the failure — the files its
 * patterns match in its working folder are copied (not moved) into its
 * folder, keeping their sub-paths, and listed in a `task.artifacts` event.
 *
 * What is never kept: a file whose real path is outside the working folder
 * (a link pointing out), a file inside Spire's data folder (its database,
 * secret and other runs), and anything past the run's size limit; each is
 * said in the task's log. The files a worker sends for its attempts
 * (receive) are held to the same limit, each as its first chunk comes.
 *
 * The limit is the run's, all its tasks together (spire engine
 * --artifact-limit). Room under it is decided before files are copied or
 * sent, one decision of the run at a time, and reserved for the task until
 * its files are in its folder: a decision counts what the run's folders
 * hold and the room decided for files still on their way. On a shared store
 * (PostgreSQL), where a run's tasks and their workers' uploads can go
 * through several engines, the decision is the store's
 * (SharedStore.reserveArtifactRoom): it counts what every engine copied
 * there or reserved for the run's tasks, and takes the run's decisions one at
 * a time across engines, so the limit holds for the run as a whole.
 */
import { appendFile, lstat, realpath, rm, stat } from "node:fs/promises";
import { constants } from "node:fs";
import { dirname, resolve } from "node:path";
import type { PlannedNode } from "../../plan/types.js";
import type { EventRow } from "../../store/port.js";
import { isDiskFull } from "../../store/errors.js";
import { artifactPatternProblem } from "../../definitions/check-artifacts.js";
import { formatLogLine } from "../../logs/log-file.js";
import { formatBytes } from "../../files/format.js";
import { makePrivateDir, privateCopy, PRIVATE_FILE_MODE } from "../../files/private.js";
import { makeFolderTrees } from "../../files/folder-batch.js";
import { attemptFiles, buildAttempt } from "../runs/attempt.js";
import { folderBytes, isInside, listFiles } from "../../files/folder-files.js";
import { PremadeFolders } from "./premade-folders.js";
import type { SpareRunFolders } from "./spare-run-folders.js";
import { artifactFolder, bringKept, inputFolders, placeInputs, runArtifactsRoot } from "./artifact-handover.js";
import type { PreparedRun } from "../runs/prepared-run.js";
import type { ArtifactRoom, SharedStore } from "../../store/shared-port.js";
import { fetchTaskArtifacts } from "../sharing/artifact-copies.js";
import type { AttemptEnding } from "../runs/task-row.js";
import { fsErrorWords } from "../../files/fs-error-words.js";
import { openRegular, whyNotFound } from "../../files/regular-file.js";
import { HAS_PROC } from "../../exec/process-tree.js";
import { storeChunk } from "../../workers/artifact-exchange.js";
import type { ArtifactChunk, ArtifactChunkAnswer } from "../../workers/protocol.js";

/** Linux names an open file /proc/self/fd/N: copied from there, it is the file opened, whatever its name points at by then. */
const HAS_FD_PATHS = HAS_PROC;

export const DEFAULT_ARTIFACT_LIMIT_BYTES = 1024 ** 3;
/** An event is not a file listing: past this many names, the event gives the count and the API lists them all. */
const NAMES_IN_EVENT = 100;

export interface ArtifactOptions {
  dataDir: string;
  /** The most a run may keep, all its tasks together. */
  limitBytes: number;
  nodePath: string;
  baseEnv: Record<string, string | undefined>;
  now(): number;
  /** Engines sharing a store: where the kept tasks of a run another engine ran left their files. */
  shared?: SharedStore | undefined;
  /** A long-lived engine's run folders made ahead (spare-run-folders.ts). */
  spares?: SpareRunFolders | undefined;
}

interface NotKept {
  name: string;
  why: string;
}

/** A match of an attempt's patterns that passed the checks: it takes room if it is kept. */
interface Candidate {
  name: string;
  source: string;
  dest: string;
  size: number;
  /** The bytes of an earlier attempt's copy it replaces (counted already). */
  replaced: number;
}

/** A file a worker sends: the bytes it may reach, or why it is not kept. */
type Upload = { bytes: number } | { refused: string };

/** The run's artifacts as a decision of its room saw them: the bytes its other tasks hold, and the task's own. */
interface Held {
  others: number;
  own: number;
}

export class RunArtifacts {
  private kept: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private inProgress = 0;
  /** Whether an attempt of this run has had its folders made (see prepare). */
  private foldersMade = false;
  private readonly premade: PremadeFolders;
  /** Decisions about the run's room, one at a time (see room). */
  private deciding: Promise<unknown> = Promise.resolve();
  /** The room decided for a task whose files are not all in its folder yet (being copied, or sent by a worker), by task. */
  private readonly coming = new Map<string, number>();
  /** The files a worker sends, by attempt (uploadKey) and name. */
  private readonly uploads = new Map<string, Map<string, Upload>>();

  constructor(
    private readonly options: ArtifactOptions,
    private readonly prepared: PreparedRun,
  ) {
    this.premade = new PremadeFolders(options.dataDir, prepared.run.id, prepared.plan);
  }

  private get runId(): string {
    return this.prepared.run.id;
  }

  /**
   * Before an attempt starts: it can always write to $SPIRE_ARTIFACTS, and
   * read what it depends on. Says why it cannot start when the disk is full.
   *
   * A run's first attempts make its folders in the thread pool, while their
   * start is being written: `runs/<id>/artifacts/<task>` is three new
   * folders, and the attempt's log folder (`logFile`, for an attempt on
   * this machine) one more. A mkdir took 0.7–0.8 ms on a loaded VM's disk:
   * on the loop's thread, 100 runs starting at one instant held it for a
   * quarter of a second (bench/fire --preset realistic), and on the
   * supervisor's, each launch of a burst waited for the one before. The
   * next tasks' folders are then made ahead of them, in the thread pool
   * (premade-folders.ts); an attempt that finds none made for it (a task
   * picked out of plan order, a retry) makes its own on this thread
   * (artifact-layout.ts: in the attempt's own path, a thread-pool trip cost
   * a task of a graph more than its mkdir). A failure to make the log
   * folder is the supervisor's to tell.
   */
  async prepare(node: PlannedNode, logFile?: string): Promise<string | undefined> {
    const { kept } = this.prepared;
    try {
      if (!this.foldersMade) await this.makeRunFolders(node, logFile);
      const { shared, dataDir } = this.options;
      const fetchElsewhere = shared && ((fromRun: string, path: string, to: string) => fetchTaskArtifacts(shared, fromRun, path, to));
      if (kept && kept.size > 0) await (this.kept ??= bringKept(dataDir, this.runId, kept, fetchElsewhere));
      // A dependency that ran on another engine (this one took the run over) left its files in the shared store, not here.
      for (const path of fetchElsewhere ? inputFolders(this.prepared.plan, node) : []) {
        const folder = artifactFolder(dataDir, this.runId, path);
        if (!(await lstat(folder).catch(() => undefined))) await fetchElsewhere!(this.runId, path, folder);
      }
      // The folders of the tasks after the first ones are made ahead of them (premade-folders.ts).
      const ownMade = this.premade.take(node.path) || !this.foldersMade;
      await placeInputs(dataDir, this.runId, this.prepared.plan, node, { ownMade });
      this.foldersMade = true;
      return undefined;
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      this.kept = undefined; // tried again by the next attempt, when there may be room
      return `the disk holding Spire's data folder ${this.options.dataDir} is full: the task's artifact folder could not be made (free some space)`;
    }
  }

  /**
   * A first attempt's folders, new with the run: its artifact folder and the
   * run's log folder (shared by its attempts), with their parents. A spare
   * renamed into place where the engine keeps them (spare-run-folders.ts),
   * else made in one thread-pool trip (files/folder-batch.ts): made level by
   * level, they were most of the time from a run's creation to its first
   * spawn (bench/api's latency: 1.0 ms of 1.9 at the median). The artifact
   * folder's failure is the attempt's to tell (no room); the log folder's,
   * the supervisor's.
   */
  private async makeRunFolders(node: PlannedNode, logFile: string | undefined): Promise<void> {
    const own = artifactFolder(this.options.dataDir, this.runId, node.path);
    // Made here: the lane of folders made ahead (premade-folders.ts) need not make it again beside the spawn.
    this.premade.madeByAttempt(node.path);
    if (logFile !== undefined && this.takeSpare(own, dirname(logFile))) return;
    try {
      await makeFolderTrees(this.options.dataDir, logFile === undefined ? [own] : [own, dirname(logFile)]);
    } catch {
      await makePrivateDir(own);
    }
  }

  private takeSpare(own: string, logFolder: string): boolean {
    try {
      return this.options.spares?.take(dirname(runArtifactsRoot(this.options.dataDir, this.runId)), own, logFolder) ?? false;
    } catch {
      return false; // a group task's parents could not be made: the trip below makes what is missing, and says why
    }
  }

  /** Settles once every collect asked for so far has. */
  settled(): Promise<unknown> {
    return this.queue;
  }

  /** Collects under way (a worker's listing included). */
  get collecting(): number {
    return this.inProgress;
  }

  /**
   * After an attempt: keeps what its patterns match; the event to record
   * with its end, or undefined when it has no patterns or never ran.
   */
  collect(node: PlannedNode, attempt: number, report: AttemptEnding, outputs: ReadonlyMap<string, Record<string, string>>, options: { sentByWorker?: boolean } = {}): Promise<Omit<EventRow, "seq"> | undefined> {
    const patterns = node.def.artifacts ?? [];
    // A worker's attempt sends nothing more: what it sent is in the task's folder.
    const uploads = options.sentByWorker ? this.uploadsEnded(node.path, attempt) : undefined;
    if (patterns.length === 0 || report.pid === null) return Promise.resolve(undefined);
    this.inProgress++;
    const next = uploads ? this.listSent(node, attempt, uploads) : this.queue.then(() => this.collectNow(node, attempt, patterns, outputs));
    if (!options.sentByWorker) this.queue = next.catch(() => undefined);
    return next.finally(() => this.inProgress--);
  }

  private async collectNow(node: PlannedNode, attempt: number, patterns: string[], outputs: ReadonlyMap<string, Record<string, string>>): Promise<Omit<EventRow, "seq">> {
    const say: string[] = [];
    const kept: { name: string; size: number }[] = [];
    const notKept: NotKept[] = [];
    let held: Held | undefined;
    const cwd = await this.workingFolder(node, attempt, outputs);
    const usable = patterns.filter((pattern) => artifactPatternProblem(pattern) === undefined);
    if (usable.length < patterns.length) say.push(`artifacts: patterns not used (they reach outside the task's folder): ${patterns.filter((p) => !usable.includes(p)).join(" ")}`);
    if (cwd === undefined) say.push("artifacts: the task's working folder is gone; nothing was kept");
    else {
      // Loaded when a task first keeps artifacts: an engine at rest, and most tasks, never glob.
      const { glob } = await import("tinyglobby");
      const matches = (await glob(usable, { cwd, onlyFiles: true, followSymbolicLinks: false })).sort();
      if (matches.length === 0) say.push(`artifacts: no file matches ${usable.join(" ")} in ${cwd}`);
      held = await this.copyAll(node.path, cwd, matches, kept, notKept);
    }
    say.push(...this.explain(notKept, held));
    if (say.length > 0) await this.tellLog(node.path, attempt, say);
    return this.keptEvent(node.path, attempt, kept, notKept);
  }

  /**
   * A worker collected them on its machine and sent them into the task's
   * folder: what is there is what was kept (it said in its log what was
   * refused), but a file of which less came than it said it holds (the
   * attempt was canceled, or its worker lost, on the way) is removed, not
   * kept in part, and the task's log says so.
   */
  private async listSent(node: PlannedNode, attempt: number, uploads: { refused: NotKept[]; sizes: Map<string, number> }): Promise<Omit<EventRow, "seq">> {
    const kept: { name: string; size: number }[] = [];
    const cut: NotKept[] = [];
    for (const { name, size, path } of await listFiles(artifactFolder(this.options.dataDir, this.runId, node.path))) {
      const whole = uploads.sizes.get(name);
      if (whole === undefined || size >= whole) {
        kept.push({ name, size });
        continue;
      }
      await rm(path, { force: true });
      cut.push({ name, why: `only ${formatBytes(size)} of its ${formatBytes(whole)} came (the attempt ended, or the file shrank, on the way)` });
    }
    if (cut.length > 0) await this.tellLog(node.path, attempt, this.explain(cut, undefined));
    return this.keptEvent(node.path, attempt, kept, [...uploads.refused, ...cut]);
  }

  private keptEvent(path: string, attempt: number, kept: { name: string; size: number }[], notKept: NotKept[]): Omit<EventRow, "seq"> {
    const bytes = kept.reduce((sum, file) => sum + file.size, 0);
    return {
      run_id: this.runId,
      ts: this.options.now(),
      type: "task.artifacts",
      task_path: path,
      attempt,
      data: { count: kept.length, bytes, files: kept.slice(0, NAMES_IN_EVENT), not_kept: notKept.slice(0, NAMES_IN_EVENT), not_kept_count: notKept.length },
    };
  }

  /** The attempt's cwd, as it was launched (the same templates, the same outputs), links resolved. */
  private async workingFolder(node: PlannedNode, attempt: number, outputs: ReadonlyMap<string, Record<string, string>>): Promise<string | undefined> {
    const { dataDir, nodePath, baseEnv } = this.options;
    const build = buildAttempt({ prepared: this.prepared, node, attempt, dataDir, nodePath, baseEnv, outputs });
    return build.ok ? realpath(build.spec.cwd).catch(() => undefined) : undefined;
  }

  /**
   * Copies the matches that pass the checks and fit in the run's room, in
   * the order matched: each is looked at first, the room for those that can
   * be kept is decided at once (room), then each is opened and copied (the
   * file checked is the file copied). What the room decision saw, if one
   * was made.
   */
  private async copyAll(path: string, cwd: string, matches: string[], kept: { name: string; size: number }[], notKept: NotKept[]): Promise<Held | undefined> {
    const candidates = await this.candidates(path, cwd, matches, notKept);
    if (candidates.length === 0) return undefined;
    const { limitBytes } = this.options;
    let room: ArtifactRoom<Held & { fits: Set<string> }>;
    try {
      room = await this.room(path, (others, own) => {
        const fits = new Set<string>();
        let holds = own;
        for (const file of candidates) {
          if (others + holds - file.replaced + file.size > limitBytes) continue;
          fits.add(file.name);
          holds += file.size - file.replaced;
        }
        return { bytes: holds, result: { others, own, fits } };
      });
    } catch (error) {
      const why = `the run's room under its artifact limit could not be decided (${(error as Error).message}); once that is set right, run the task again: spire retry ${this.runId} --from ${path}`;
      for (const { name } of candidates) notKept.push({ name, why });
      return undefined;
    }
    let holds = room.result.own;
    let full = false;
    try {
      for (const { name, source, dest } of candidates) {
        if (!room.result.fits.has(name)) {
          notKept.push({ name, why: "limit" });
          continue;
        }
        if (full) {
          notKept.push({ name, why: "the disk is full" });
          continue;
        }
        // The file checked is the file copied: opened once (a FIFO without waiting for a writer), looked at, copied from there.
        const opened = await openRegular(source);
        if (opened === undefined) continue; // gone since
        if ("why" in opened) {
          notKept.push({ name, why: opened.why });
          continue;
        }
        const { handle, size } = opened;
        try {
          // An earlier attempt's copy is replaced: its bytes are already counted.
          const replaced = (await lstat(dest).catch(() => undefined))?.size ?? 0;
          // Grown since it was looked at: it may take no more than the room decided.
          if (holds - replaced + size > room.bytes) {
            notKept.push({ name, why: "limit" });
            continue;
          }
          try {
            await makePrivateDir(dirname(dest));
            await privateCopy(HAS_FD_PATHS ? `/proc/self/fd/${handle.fd}` : source, dest, constants.COPYFILE_FICLONE);
          } catch (error) {
            await rm(dest, { force: true }).catch(() => undefined);
            // One file that cannot be copied costs that file, not the run: the task's end is recorded all the same.
            if (!isDiskFull(error)) {
              notKept.push({ name, why: `it could not be copied: ${fsErrorWords((error as NodeJS.ErrnoException).code)}` });
              continue;
            }
            // No room: this one (half copied) and the rest are not kept.
            notKept.push({ name, why: "the disk is full" });
            full = true;
            continue;
          }
          holds += size - replaced;
          kept.push({ name, size });
        } finally {
          await handle.close();
        }
      }
    } finally {
      // In the folder now: counted there.
      this.coming.delete(path);
    }
    return { others: room.result.others, own: holds };
  }

  /** The matches that can be kept, with their sizes; why each other one cannot is added to `notKept`. */
  private async candidates(path: string, cwd: string, matches: string[], notKept: NotKept[]): Promise<Candidate[]> {
    const folder = artifactFolder(this.options.dataDir, this.runId, path);
    const data = await realpath(this.options.dataDir).catch(() => resolve(this.options.dataDir));
    const candidates: Candidate[] = [];
    for (const name of matches) {
      const source = await realpath(resolve(cwd, name)).catch(() => undefined);
      const dest = resolve(folder, name);
      if (source === undefined) {
        // Gone since the glob saw it, or never found by that name.
        const why = whyNotFound(name);
        if (why !== undefined) notKept.push({ name, why });
        continue;
      }
      if (!isInside(cwd, source)) notKept.push({ name, why: "a link to a file outside the task's folder" });
      else if (isInside(data, source)) notKept.push({ name, why: "inside Spire's data folder" });
      else if (!isInside(folder, dest)) notKept.push({ name, why: "not a plain relative name" });
      else {
        // Links resolved: what the name is now (looked at again, on the open file, before it is copied).
        const info = await stat(source).catch(() => undefined);
        if (info === undefined) continue; // gone since
        if (!info.isFile()) {
          notKept.push({ name, why: "not a regular file" });
          continue;
        }
        const replaced = (await lstat(dest).catch(() => undefined))?.size ?? 0;
        candidates.push({ name, source, dest, size: info.size, replaced });
      }
    }
    return candidates;
  }

  /**
   * Decides the room of `task`'s artifacts under the run's limit, one
   * decision of the run at a time: `decide` is given the bytes the run's
   * other tasks hold and those the task holds now (its folder), and says how
   * many it will hold. Those are counted for it (`coming`) until its files
   * are in its folder. Here, the run's folders hold what its tasks kept on
   * this engine (and those of other engines' tasks it fetched), and the room
   * decided for files on their way is added. On a shared store the store
   * decides, under its lock on the run, from what every engine holds there
   * (never less than what this engine sees), and reserves the room there.
   */
  private room<T>(task: string, decide: (others: number, own: number) => ArtifactRoom<T>): Promise<ArtifactRoom<T>> {
    const next = this.deciding.then(() => this.decideRoom(task, decide));
    this.deciding = next.catch(() => undefined);
    return next;
  }

  private async decideRoom<T>(task: string, decide: (others: number, own: number) => ArtifactRoom<T>): Promise<ArtifactRoom<T>> {
    const { dataDir, shared } = this.options;
    // Looked at before the whole, which holds them: a folder growing meanwhile is counted twice, never missed.
    let others = 0;
    for (const [path, bytes] of [...this.coming]) {
      if (path !== task) others += Math.max(0, bytes - (await folderBytes(artifactFolder(dataDir, this.runId, path))));
    }
    const own = await folderBytes(artifactFolder(dataDir, this.runId, task));
    others += (await folderBytes(runArtifactsRoot(dataDir, this.runId))) - own;
    const reserved = shared && (await shared.reserveArtifactRoom(this.runId, task, (held) => this.asReserved(decide(Math.max(held, others), own))));
    // Without a shared store, or the run no longer this engine's (another took it over: nothing of it goes there): decided here.
    const room = reserved || decide(others, own);
    this.coming.set(task, room.bytes);
    return room;
  }

  /** A decision as the shared store reserves it: its bytes, and the whole decision for the caller. */
  private asReserved<T>(room: ArtifactRoom<T>): ArtifactRoom<ArtifactRoom<T>> {
    return { bytes: room.bytes, result: room };
  }

  /**
   * A chunk of a file a worker sends for an attempt of `task`
   * (routes/workers.ts), written into the task's folder (storeChunk) if the
   * run has room for the whole file. That is decided at its first chunk, for
   * the size the worker gives (without one, for the file as far as each
   * chunk takes it). A file refused is not kept (what had come of it is
   * removed): `refused` says why, to this chunk and every later one of it.
   */
  async receive(task: string, attempt: number, chunk: ArtifactChunk): Promise<ArtifactChunkAnswer> {
    const { name, offset, data } = chunk;
    const key = uploadKey(task, attempt);
    const files = this.uploads.get(key) ?? new Map<string, Upload>();
    this.uploads.set(key, files);
    const reach = offset + data.length;
    let upload = files.get(name);
    if (offset > 0 && upload !== undefined && "refused" in upload) return { size: reach, accepted: false, refused: upload.refused };
    if (offset === 0 || upload === undefined || "refused" in upload || upload.bytes < reach) {
      // What is there of it came from this attempt (it is sent again from its start after a try cut short), or is an earlier attempt's copy.
      const sentBefore = offset > 0 || (upload !== undefined && "bytes" in upload);
      upload = await this.uploadRoom(task, name, sentBefore, Math.max(chunk.size ?? 0, reach));
      files.set(name, upload);
      // Answered as if it had come (an older worker, which does not read `refused`, goes on to the end of the file, not round again).
      if ("refused" in upload) return { size: reach, accepted: false, refused: upload.refused };
    }
    return storeChunk(this.options.dataDir, this.runId, task, name, offset, data);
  }

  /** `sentBefore`: what is there of the file came from this attempt (not an earlier attempt's copy). */
  private async uploadRoom(task: string, name: string, sentBefore: boolean, bytes: number): Promise<Upload> {
    const file = resolve(artifactFolder(this.options.dataDir, this.runId, task), name);
    // What is there: an earlier attempt's copy, which its first chunk replaces, or what came of it so far.
    const have = (await lstat(file).catch(() => undefined))?.size ?? 0;
    const room = await this.room(task, (others, own): ArtifactRoom<Upload> => {
      const holds = own - have + bytes;
      if (others + holds <= this.options.limitBytes) return { bytes: holds, result: { bytes } };
      // Not kept: what came of it is removed below; an earlier attempt's copy stays, as on the engine's machine.
      const left = sentBefore ? own - have : own;
      return { bytes: left, result: { refused: this.limitWhy(others + left) } };
    });
    if ("refused" in room.result && sentBefore) await rm(file, { force: true });
    return room.result;
  }

  /** The attempt sends nothing more: the files it was refused, and the whole size of each it sent (as much as it said, or sent). */
  private uploadsEnded(task: string, attempt: number): { refused: NotKept[]; sizes: Map<string, number> } {
    const key = uploadKey(task, attempt);
    const files = [...(this.uploads.get(key) ?? [])];
    this.uploads.delete(key);
    this.coming.delete(task);
    return {
      refused: files.filter(([, upload]) => "refused" in upload).map(([name]) => ({ name, why: "limit" })),
      sizes: new Map(files.flatMap(([name, upload]) => ("bytes" in upload ? [[name, upload.bytes] as const] : []))),
    };
  }

  private explain(notKept: NotKept[], held: Held | undefined): string[] {
    const overLimit = notKept.filter((file) => file.why === "limit");
    const lines = notKept.filter((file) => file.why !== "limit").map((file) => `artifacts: ${file.name} not kept: ${file.why}`);
    if (overLimit.length > 0) {
      const names = overLimit.slice(0, 5).map((file) => file.name).join(", ");
      lines.push(`artifacts: ${overLimit.length} file${overLimit.length === 1 ? "" : "s"} not kept (${names}${overLimit.length > 5 ? ", …" : ""}): ${this.limitWhy(held ? held.others + held.own : undefined)}`);
    }
    return lines;
  }

  /** Why a file passed the limit, with what the run's tasks keep (all of them, through every engine). */
  private limitWhy(held: number | undefined): string {
    const keeps = held === undefined ? "" : `: run ${this.runId} keeps ${formatBytes(held)} already, all its tasks together`;
    return `the run's artifacts would pass the limit of ${formatBytes(this.options.limitBytes)} (spire engine --artifact-limit)${keeps}`;
  }

  /** Lines in the attempt's own log (stderr), where a person looks first; best effort (the disk may be full). */
  private async tellLog(path: string, attempt: number, lines: string[]): Promise<void> {
    const { logFile } = attemptFiles(this.options.dataDir, this.runId, path, attempt);
    const ts = this.options.now();
    await makePrivateDir(dirname(logFile))
      .then(() => appendFile(logFile, lines.map((line) => formatLogLine(ts, "stderr", `spire: ${line}`)).join(""), { mode: PRIVATE_FILE_MODE }))
      .catch(() => undefined);
  }
}

/** A worker's attempt, as the key of what it sends. */
function uploadKey(task: string, attempt: number): string {
  return `${attempt}:${task}`;
}
