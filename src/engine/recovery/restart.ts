/**
 * After a restart: runs that were running carry on where they stood (see
 * recover.ts and resume.ts): their attempts are adopted, recorded or marked
 * interrupted, and their pending tasks start as if nothing had happened. A
 * run that cannot be resumed (its definition no longer plans) is marked
 * interrupted. Queued runs are queued again.
 */
import type { EventRow, RunRow, Store, TaskRunRow } from "../../store/port.js";
import { attemptId } from "../runs/attempt.js";
import { hostname } from "node:os";
import type { AttemptKeeper, Executor, Placement } from "../../exec/port.js";
import { Reattacher } from "./recover.js";
import { resumePoint, type Reattached } from "./resume.js";
import type { RunQueues } from "../runs/run-queues.js";
import { prepareStoredRun } from "../runs/start-run.js";
import { endedRow } from "../runs/task-row.js";
import { runInterrupted, taskInterrupted } from "../runs/run-interruption.js";
import { heldInProcess, inProcessRuns } from "./in-process-owners.js";
import { keptForRetry } from "../runs/retry.js";
import type { PreparedRun } from "../runs/prepared-run.js";

export interface RestartDeps {
  store: Store;
  /** Reads what attempts left on disk, and kills orphans. */
  executor: Pick<Executor, "traces" | "killOrphan">;
  /** Workers: attempts that ran on one are taken up again when it registers. */
  placement?: Placement;
  supervisor?: AttemptKeeper;
  environment: Record<string, string | undefined>;
  runs: RunQueues;
  now: () => number;
  warn(message: string): void;
  baseDirOf(namespace: string): Promise<string>;
  publish(events: EventRow[]): void;
  /** The data folder, where a `spire run` running runs of its own says so (none: the store is not this machine's alone). */
  dataDir?: string;
}

/**
 * The unfinished runs in the store go on here, but those a live `spire run`
 * runs (in-process-owners.ts), whose ids come back as `left`. `only`: a
 * later look at such runs, once their process may have ended (the
 * supervisor's other attempts belong to runs going on here by then).
 */
export async function recoverRuns(deps: RestartDeps, only?: ReadonlySet<string>): Promise<TakeUpCounts & { left: string[] }> {
  const unfinished = (await deps.store.listRunsInStates(["queued", "running"])).filter((run) => only === undefined || only.has(run.id));
  const held = deps.dataDir === undefined ? undefined : inProcessRuns(deps.dataDir);
  const left: RunRow[] = [];
  const stale: RunRow[] = [];
  for (const run of unfinished) (held !== undefined && heldInProcess(held, run, deps.now()) ? left : stale).push(run);
  // A later look takes up what a `spire run` process left: its attempts were never this supervisor's, so one without a
  // started record may have been launched all the same (it is lost, not unsent: it must not start again).
  const keeper = only === undefined ? deps.supervisor : undefined;
  const reattacher = await Reattacher.open(deps.executor, keeper, deps.placement ? { placement: deps.placement, localName: hostname() } : undefined);
  const stopped = only === undefined ? "the engine stopped while this run was in progress" : "the spire run process that ran it ended without ending it";
  const counts = await takeUp(deps, stale, stopped, (run, rows) => reattacher.attemptsOf(run, rows));
  // After every run has claimed its attempts: what is left belongs to nobody.
  if (only === undefined) reattacher.releaseUnclaimed(deps.warn);
  deps.runs.pumpAll();
  return { ...counts, left: left.map((run) => run.id) };
}

/**
 * Runs taken over from an engine gone silent (another machine, whose
 * supervisor this engine cannot ask): each attempt that was running there
 * is interrupted, then the task's retry policy decides, and the run goes on
 * here. `why` says what became of that engine.
 */
export async function takeOverRuns(deps: RestartDeps, runIds: readonly string[], why: string): Promise<TakeUpCounts> {
  const runs: RunRow[] = [];
  for (const id of runIds) {
    const stored = await deps.store.getRun(id);
    if (stored && (stored.run.state === "queued" || stored.run.state === "running")) runs.push(stored.run);
  }
  const lost = async (_runId: string, rows: readonly TaskRunRow[]) =>
    new Map(rows.filter((row) => row.state === "running").map((row): [string, Reattached] => [row.path, { kind: "lost", reason: `${why}; its end was not seen`, pid: null }]));
  const counts = await takeUp(deps, runs, `${why} while this run was in progress`, lost);
  deps.runs.pumpAll();
  return counts;
}

export interface TakeUpCounts {
  resumed: number;
  interrupted: number;
  requeued: number;
}

/** Queued runs queue here again; running ones go on from where they stood, their running attempts as `attemptsOf` says. */
async function takeUp(
  deps: RestartDeps,
  stale: readonly RunRow[],
  stopped: string,
  attemptsOf: (runId: string, rows: readonly TaskRunRow[]) => Promise<Map<string, Reattached>>,
): Promise<TakeUpCounts> {
  const { store, runs } = deps;
  const counts = { resumed: 0, interrupted: 0, requeued: 0 };
  for (const run of stale) {
    const prepared = await prepareStoredRun(run, await deps.baseDirOf(run.namespace), deps.environment).catch((error: Error) => error);
    if (prepared instanceof Error) {
      // Its attempts are claimed all the same: a result that came in while the engine was down is recorded, not dropped.
      const attempts = await attemptsOf(run.id, (await store.getRun(run.id))?.tasks ?? []);
      await interrupt(deps, run, `${stopped}, and it cannot go on: ${prepared.message}`, attempts);
      counts.interrupted++;
    } else if (run.state === "queued") {
      await restoreKept(store, prepared);
      await runs.requeue(prepared);
      counts.requeued++;
    } else {
      const stored = await store.getRun(run.id);
      const point = resumePoint(stored?.tasks ?? [], await allEvents(store, run.id), await attemptsOf(run.id, stored?.tasks ?? []), deps.now());
      await runs.resume(prepared, point);
      counts.resumed++;
    }
  }
  return counts;
}

/**
 * A retry that had not begun: the results it was made to keep are stored
 * with it only as it begins, so they are worked out again from the run it
 * retries. Should retention have removed that run meanwhile, it runs whole.
 */
async function restoreKept(store: Store, prepared: PreparedRun): Promise<void> {
  const { trigger } = prepared.run;
  if (trigger.kind !== "retry" || typeof trigger.of !== "string") return;
  const original = await store.getRun(trigger.of);
  if (!original) return;
  const kept = keptForRetry(prepared.plan, original.tasks, typeof trigger.from === "string" ? trigger.from : undefined);
  if ("kept" in kept) prepared.kept = kept.kept;
}

async function allEvents(store: Store, runId: string): Promise<EventRow[]> {
  const events: EventRow[] = [];
  for (;;) {
    const page = await store.listEvents(runId, events.at(-1)?.seq ?? 0, 1000);
    events.push(...page);
    if (page.length < 1000) return events;
  }
}

/**
 * Ends a run that cannot go on. Of its attempts that were running: one that
 * ended meanwhile is recorded with its real result; one still running is
 * stopped (nothing would read its outputs) and marked interrupted; the rest
 * are interrupted.
 */
async function interrupt(deps: RestartDeps, run: RunRow, reason: string, attempts: ReadonlyMap<string, Reattached>): Promise<void> {
  const stored = await deps.store.getRun(run.id);
  const now = deps.now();
  const acks: string[] = [];
  const changes = (stored?.tasks ?? [])
    .filter((task) => task.state === "running" || task.state === "pending")
    .map((task) => {
      const how = attempts.get(task.path);
      const id = attemptId(run.id, task.path, task.attempt);
      if (how?.kind === "ended") {
        acks.push(id);
        const row = endedRow(task, how.report);
        return { event: { run_id: run.id, ts: now, type: "task.finished", task_path: task.path, attempt: task.attempt, data: { state: row.state, exit_code: row.exit_code, reason: row.reason } }, task: row };
      }
      let why = reason;
      if (how?.kind === "running") {
        const handle = how.adopt({});
        handle.cancel(reason);
        void handle.done.then(() => deps.supervisor?.ack(id));
        why = `${reason} (its processes were stopped)`;
      }
      return taskInterrupted(task, why, now);
    });
  const events = await deps.store.write([...changes, runInterrupted(run.id, reason, now)]);
  for (const id of acks) deps.supervisor?.ack(id);
  deps.publish(events);
}
