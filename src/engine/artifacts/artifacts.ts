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
 * said in the task's log. Collections of one run go one at a time, so the
 * limit is exact however many tasks end together.
 */
import { appendFile, lstat, realpath, rm } from "node:fs/promises";
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
import type { SharedStore } from "../../store/shared-port.js";
import { fetchTaskArtifacts } from "../sharing/artifact-copies.js";
import type { AttemptEnding } from "../runs/task-row.js";
import { fsErrorWords } from "../../files/fs-error-words.js";
import { openRegular, whyNotFound } from "../../files/regular-file.js";
import { HAS_PROC } from "../../exec/process-tree.js";

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

export class RunArtifacts {
  private kept: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private inProgress = 0;
  /** Whether an attempt of this run has had its folders made (see prepare). */
  private foldersMade = false;
  private readonly premade: PremadeFolders;

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
    if (patterns.length === 0 || report.pid === null) return Promise.resolve(undefined);
    this.inProgress++;
    const next = options.sentByWorker ? this.listSent(node, attempt) : this.queue.then(() => this.collectNow(node, attempt, patterns, outputs));
    if (!options.sentByWorker) this.queue = next.catch(() => undefined);
    return next.finally(() => this.inProgress--);
  }

  private async collectNow(node: PlannedNode, attempt: number, patterns: string[], outputs: ReadonlyMap<string, Record<string, string>>): Promise<Omit<EventRow, "seq">> {
    const say: string[] = [];
    const kept: { name: string; size: number }[] = [];
    const notKept: NotKept[] = [];
    const cwd = await this.workingFolder(node, attempt, outputs);
    const usable = patterns.filter((pattern) => artifactPatternProblem(pattern) === undefined);
    if (usable.length < patterns.length) say.push(`artifacts: patterns not used (they reach outside the task's folder): ${patterns.filter((p) => !usable.includes(p)).join(" ")}`);
    if (cwd === undefined) say.push("artifacts: the task's working folder is gone; nothing was kept");
    else {
      // Loaded when a task first keeps artifacts: an engine at rest, and most tasks, never glob.
      const { glob } = await import("tinyglobby");
      const matches = (await glob(usable, { cwd, onlyFiles: true, followSymbolicLinks: false })).sort();
      if (matches.length === 0) say.push(`artifacts: no file matches ${usable.join(" ")} in ${cwd}`);
      await this.copyAll(node.path, cwd, matches, kept, notKept);
    }
    say.push(...this.explain(notKept));
    if (say.length > 0) await this.tellLog(node.path, attempt, say);
    return this.keptEvent(node.path, attempt, kept, notKept);
  }

  /** A worker collected them on its machine and sent them into the task's folder: what is there is what was kept. */
  private async listSent(node: PlannedNode, attempt: number): Promise<Omit<EventRow, "seq">> {
    const kept = (await listFiles(artifactFolder(this.options.dataDir, this.runId, node.path))).map(({ name, size }) => ({ name, size }));
    return this.keptEvent(node.path, attempt, kept, []);
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

  private async copyAll(path: string, cwd: string, matches: string[], kept: { name: string; size: number }[], notKept: NotKept[]): Promise<void> {
    const folder = artifactFolder(this.options.dataDir, this.runId, path);
    const data = await realpath(this.options.dataDir).catch(() => resolve(this.options.dataDir));
    let used = await folderBytes(runArtifactsRoot(this.options.dataDir, this.runId));
    let full = false;
    for (const name of matches) {
      if (full) {
        notKept.push({ name, why: "the disk is full" });
        continue;
      }
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
          if (used - replaced + size > this.options.limitBytes) {
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
          used += size - replaced;
          kept.push({ name, size });
        } finally {
          await handle.close();
        }
      }
    }
  }

  private explain(notKept: NotKept[]): string[] {
    const overLimit = notKept.filter((file) => file.why === "limit");
    const lines = notKept.filter((file) => file.why !== "limit").map((file) => `artifacts: ${file.name} not kept: ${file.why}`);
    if (overLimit.length > 0) {
      const names = overLimit.slice(0, 5).map((file) => file.name).join(", ");
      lines.push(
        `artifacts: ${overLimit.length} file${overLimit.length === 1 ? "" : "s"} not kept (${names}${overLimit.length > 5 ? ", …" : ""}): ` +
          `the run's artifacts would pass the limit of ${formatBytes(this.options.limitBytes)} (spire engine --artifact-limit)`,
      );
    }
    return lines;
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
