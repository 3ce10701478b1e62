/**
 * Retention (SPEC §2 `retention: { keep, days }`, `spire gc`): finished runs
 * past their pipeline's limits are removed with everything they left — rows,
 * events, logs, records and artifacts (`<data>/runs/<id>/`). A run is removed
 * when it is beyond the newest `keep` or finished more than `days` ago; the
 * newest finished run of a pipeline always stays, and queued and running
 * runs are never touched (the store checks that in the same transaction).
 *
 * Rows go first, folders after: a crash in between leaves folders of runs
 * that no longer exist, which the next sweep removes; it never leaves a run
 * whose files are gone. Except on a full disk, where the rows cannot be
 * removed before there is room: the folders go first there (see remove).
 * A pipeline without `retention` (or one that was removed) gets the
 * engine's defaults, field by field.
 */
import { RUN_ID_SHAPE } from "./ids.js";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PipelineDef } from "../../definitions/schema.js";
import type { Store } from "../../store/port.js";
import { folderBytes } from "../../files/folder-files.js";
import { isDiskFull } from "../../store/errors.js";

export interface RetentionLimits {
  /** Finished runs kept per pipeline; null: no count limit. */
  keep: number | null;
  /** Days a finished run is kept; null: no age limit. */
  days: number | null;
}

/** What a user of a personal scheduler expects: a season of history, and no unbounded disk use from a job that runs every few seconds. */
export const DEFAULT_RETENTION: RetentionLimits = { keep: 1000, days: 90 };
export const SWEEP_EVERY_MS = 60 * 60 * 1000;

const DAY_MS = 86_400_000;
/** Runs removed per transaction: short write locks, so running runs are not held up. */
const BATCH = 200;
/** Runs named in a report; the totals count all of them. */
const LISTED = 1000;
const PARALLEL_REMOVALS = 16;
/** A run's folder without a row counts as left behind once it is this old (see settledOnly). */
const ORPHAN_AFTER_MS = 10 * 60 * 1000;

export interface RemovedRun {
  id: string;
  namespace: string;
  pipeline: string;
  state: string;
  finished_at: string | null;
  bytes: number;
}

export interface SweepReport {
  dry_run: boolean;
  /** Runs removed (or, dry, that would be); bytes are those of their folders. */
  removed: number;
  bytes: number;
  /** At most 1000 of them, oldest first per pipeline. */
  runs: RemovedRun[];
  /** Folders under `<data>/runs` of runs that no longer exist (left by an interrupted sweep). */
  orphans: number;
  orphan_bytes: number;
}

export interface RetentionOptions {
  store: Store;
  dataDir: string;
  defaults: RetentionLimits;
  now?: () => number;
  /** Told the ids of runs as soon as their rows are gone (caches forget them). */
  removed?: (ids: string[]) => void;
}

export class Retention {
  private running: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: RetentionOptions) {
    this.now = options.now ?? Date.now;
  }

  /** One sweep; sweeps never overlap (a second one waits for the first). */
  sweep(options: { dryRun: boolean }): Promise<SweepReport> {
    const next = this.running.then(() => this.sweepNow(options.dryRun));
    this.running = next.catch(() => undefined);
    return next;
  }

  /** A sweep now and then every `everyMs`; `failed` hears of a sweep that threw. */
  start(everyMs: number, done: (report: SweepReport) => void, failed: (error: unknown) => void): void {
    const once = () => void this.sweep({ dryRun: false }).then(done, failed);
    once();
    this.timer = setInterval(once, everyMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async sweepNow(dryRun: boolean): Promise<SweepReport> {
    const report: SweepReport = { dry_run: dryRun, removed: 0, bytes: 0, runs: [], orphans: 0, orphan_bytes: 0 };
    const limits = await this.limitsByPipeline();
    for (const { namespace, pipeline } of await this.options.store.listRunPipelines()) {
      const { keep, days } = limits.get(`${namespace}/${pipeline}`) ?? this.options.defaults;
      if (keep === null && days === null) continue;
      const query = { namespace, pipeline, ...(keep !== null ? { keep } : {}), ...(days !== null ? { finishedBefore: this.now() - days * DAY_MS } : {}) };
      for (;;) {
        // A dry sweep changes nothing, so a second page would be the first again: it asks once, for all.
        const expired = await this.options.store.listExpiredRuns({ ...query, limit: dryRun ? Number.MAX_SAFE_INTEGER : BATCH });
        const sizes = await Promise.all(expired.map((run) => folderBytes(this.runFolder(run.id))));
        const gone = dryRun ? expired.map((run) => run.id) : await this.remove(expired.map((run) => run.id));
        expired.forEach((run, index) => {
          if (!gone.includes(run.id)) return;
          report.removed++;
          report.bytes += sizes[index]!;
          if (report.runs.length < LISTED) {
            report.runs.push({ id: run.id, namespace, pipeline, state: run.state, finished_at: run.finished_at === null ? null : new Date(run.finished_at).toISOString(), bytes: sizes[index]! });
          }
        });
        if (dryRun || expired.length < BATCH || gone.length === 0) break;
      }
    }
    await this.orphans(dryRun, report);
    return report;
  }

  /** Each pipeline's own limits, a missing field taking the engine's default. */
  private async limitsByPipeline(): Promise<Map<string, RetentionLimits>> {
    const limits = new Map<string, RetentionLimits>();
    for (const row of await this.options.store.listPipelines()) {
      const own = (row.definition as PipelineDef).retention;
      limits.set(`${row.namespace}/${row.name}`, { keep: own?.keep ?? this.options.defaults.keep, days: own?.days ?? this.options.defaults.days });
    }
    return limits;
  }

  private async remove(ids: string[]): Promise<string[]> {
    const gone = await this.options.store.deleteRuns(ids).catch(async (error: unknown) => {
      if (!isDiskFull(error)) throw error;
      // Removing rows needs room the store cannot get, and a sweep is what a user runs to make room: the folders
      // (logs, records, artifacts: most of a run's bytes) go first, then the rows. Those runs' rows may outlive
      // their files only if the store is still full then; they are expired, and the next sweep removes them.
      await this.removeFolders(ids);
      return this.options.store.deleteRuns(ids);
    });
    if (gone.length > 0) this.options.removed?.(gone);
    await this.removeFolders(gone);
    return gone;
  }

  private async orphans(dryRun: boolean, report: SweepReport): Promise<void> {
    const names = (await readdir(join(this.options.dataDir, "runs")).catch(() => [] as string[])).filter((name) => RUN_ID_SHAPE.test(name));
    for (let start = 0; start < names.length; start += BATCH) {
      const chunk = names.slice(start, start + BATCH);
      const known = new Set(await this.options.store.knownRunIds(chunk));
      const orphans = await this.settledOnly(chunk.filter((name) => !known.has(name)));
      report.orphans += orphans.length;
      for (const bytes of await Promise.all(orphans.map((id) => folderBytes(this.runFolder(id))))) report.orphan_bytes += bytes;
      if (!dryRun) await this.removeFolders(orphans);
    }
  }

  /**
   * Folders of runs not stored, left alone while they are new: a run its
   * first write stores (UnstoredRun) has its folder a moment before its row
   * (a spare folder renamed into place is given the time it was put there).
   */
  private async settledOnly(ids: string[]): Promise<string[]> {
    const before = this.now() - ORPHAN_AFTER_MS;
    const made = await Promise.all(ids.map((id) => stat(this.runFolder(id)).then((found) => found.mtimeMs, () => 0)));
    return ids.filter((_, index) => made[index]! < before);
  }

  /** A few at a time: one by one, removing is most of a sweep's time (each folder is several system calls). */
  private async removeFolders(ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += PARALLEL_REMOVALS) {
      await Promise.all(ids.slice(start, start + PARALLEL_REMOVALS).map((id) => rm(this.runFolder(id), { recursive: true, force: true })));
    }
  }

  private runFolder(id: string): string {
    return join(this.options.dataDir, "runs", id);
  }
}
