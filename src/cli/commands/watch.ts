/**
 * `spire watch [-n SECS] [--precise] -- COMMAND…`: watch(1) as a job. The
 * command is an ad hoc pipeline whose trigger is `every: SECS` (with
 * `after_finish` unless --precise), so the engine fires it and every run is
 * kept; this command shows each run's output as it ends. Ctrl-C pauses the
 * pipeline (the history stays; the next watch of the same command resumes
 * it) and cancels a run still going, as watch(1) ends its command. While it
 * runs it renews a lease on the pipeline, so that the engine does the same
 * when this process is killed without a chance to (watch-lease.ts).
 *
 * With no engine the same happens in this process: a loop runs the command
 * and records each run in the data folder (the pipeline is stored without a
 * trigger, so an engine started later does not take the watch over).
 */
import pc from "picocolors";
import type { LogLine } from "../../exec/port.js";
import type { RunObject, RunSummary, SpireClient } from "../../client/port.js";
import type { RunState } from "../../store/port.js";
import { ADHOC_TASK, adhocName, parseCommand, type AdhocPipeline } from "../adhoc/job.js";
import { connect } from "../connect.js";
import { ServiceError } from "../../engine/service.js";
import { CliError, EXIT } from "../errors.js";
import { createWatchScreen, type WatchedRun, type WatchScreen } from "../render/watch-screen.js";
import { applyJob, existingNamespace, placeJob, type PlacedJob } from "./adhoc.js";
import { heldElsewhere, holdLease, newLeaseHolder, watchedElsewhere, type HeldLease } from "./watch-lease.js";

export interface WatchOptions {
  interval: string;
  precise?: boolean;
  ns?: string;
  data?: string;
  engine?: string;
}

const FINISHED: ReadonlySet<RunState> = new Set(["succeeded", "failed", "canceled", "skipped", "interrupted"]);
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export async function watchCommand(words: string[], options: WatchOptions): Promise<number> {
  const intervalMs = parseInterval(options.interval);
  const command = parseCommand(words, "spire watch -- date");
  const cwd = process.cwd();
  // Watches of one command in one folder share a pipeline (and so a history) whatever their interval, one watch at a time.
  const name = adhocName(command, cwd, "watch", "watch-");
  const client = await connect(options);
  const stop = stopSignal();
  const screen = createWatchScreen({ intervalMs, command: command.display });
  try {
    if (client.location.kind === "engine") {
      const trigger = { every: `${intervalMs}ms`, ...(options.precise ? {} : { after_finish: true }), start: new Date(Date.now() + intervalMs).toISOString() };
      const job = placeJob(name, watchPipeline(command, cwd, [trigger]), options.ns, await existingNamespace(client, options.ns));
      await watchOnEngine(client, job, intervalMs, screen, stop);
      screen.close();
      process.stderr.write(`${pc.dim(`stopped: ${job.namespace}/${job.name} is paused; its runs: spire runs ${job.name}; remove it: spire rm ${job.namespace}/${job.name}`)}\n`);
    } else {
      const job = placeJob(name, watchPipeline(command, cwd, []), options.ns, await existingNamespace(client, options.ns));
      await watchHere(client, job, intervalMs, options, screen, stop);
      screen.close();
      process.stderr.write(`${pc.dim(`stopped; its runs: spire runs ${job.name}`)}\n`);
    }
  } finally {
    screen.close();
    stop.dispose();
    await client.close();
  }
  return EXIT.interrupted;
}

function parseInterval(given: string): number {
  const seconds = Number(given);
  if (given.trim() === "" || !Number.isFinite(seconds) || seconds < 0.05) {
    throw new CliError(`-n must be a number of seconds, at least 0.05; got ${JSON.stringify(given)}`, EXIT.usage, "For example: spire watch -n 0.5 -- date");
  }
  return Math.round(seconds * 1000);
}

function watchPipeline(command: AdhocPipeline["command"], cwd: string, triggers: Record<string, unknown>[]): AdhocPipeline {
  // No catching up on slots missed while nobody watched; a slow command has at most one run waiting.
  return { command, cwd, triggers, kind: "watch", extra: { catchup: "none", queue: { limit: 1 } } };
}

/**
 * Ctrl-C (or SIGTERM, or the terminal closing), and the loop's pauses it
 * ends. A watch runs for days: what waits for the stop is registered per nap
 * and per run and let go after, not a handler left on a promise that never
 * settles at every turn of the loop.
 */
interface Stop {
  readonly stopped: boolean;
  /** Resolves after `ms`, or at once when stopped or woken. */
  nap(ms: number): Promise<void>;
  /** Ends the nap under way: there is something to look at. */
  wake(): void;
  /** Calls `fn` on the stop (at once when stopped already); the function returned lets it go. */
  onStop(fn: () => void): () => void;
  dispose(): void;
}

function stopSignal(): Stop {
  let stopped = false;
  let endNap: (() => void) | undefined;
  const waiting = new Set<() => void>();
  const wake = () => endNap?.();
  const onSignal = () => {
    stopped = true;
    wake();
    for (const fn of [...waiting]) fn();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    get stopped() {
      return stopped;
    },
    nap: (ms) =>
      stopped
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(() => endNap?.(), ms);
            endNap = () => {
              clearTimeout(timer);
              endNap = undefined;
              resolve();
            };
          }),
    wake,
    onStop(fn) {
      if (stopped) {
        fn();
        return () => false;
      }
      waiting.add(fn);
      return () => waiting.delete(fn);
    },
    dispose: () => STOP_SIGNALS.forEach((signal) => process.off(signal, onSignal)),
  };
}

/**
 * The engine fires the trigger (from one interval after now); a first run is
 * started at once, as watch(1) runs its command at once. Runs of this watch
 * are those created from the first one on; each is shown when it ends.
 */
async function watchOnEngine(client: SpireClient, job: PlacedJob, intervalMs: number, screen: WatchScreen, stop: Stop): Promise<void> {
  const holder = newLeaseHolder();
  await refuseIfWatchedElsewhere(client, job, holder);
  await applyJob(client, job);
  if ((await client.getPipeline(job.namespace, job.name)).paused) await client.setPaused(job.namespace, job.name, false);
  let lease: HeldLease | undefined;
  // Another watch holds the lease: its pipeline is that watch's, to be left as it is.
  let lostBecause: string | undefined;
  try {
    lease = await holdLease(client, job, holder).catch((error: unknown) => {
      if (heldElsewhere(error)) lostBecause = error.message;
      throw heldElsewhere(error) ? watchedElsewhere(error) : error;
    });
    void lease.lost.then((why) => {
      lostBecause = why;
      stop.wake();
    });
    const first = await client.startRun(job.namespace, job.name, { args: {} });
    const since = first.created_at;
    const shown = new Set<string>();
    const pollMs = Math.min(250, Math.max(50, intervalMs / 4));
    while (!stop.stopped && lostBecause === undefined) {
      const { runs } = await client.listRuns({ namespace: job.namespace, pipeline: job.name, limit: 50 });
      const ended = runs.filter((run) => run.created_at >= since && FINISHED.has(run.state) && !shown.has(run.id)).reverse();
      // On a terminal only the newest matters; elsewhere each run is printed once, in order.
      for (const run of process.stdout.isTTY ? ended.slice(-1) : ended) screen.show(await watchedRun(client, await client.getRun(run.id)));
      for (const run of ended) shown.add(run.id);
      await stop.nap(pollMs);
    }
  } finally {
    lease?.stop();
    // Stopped (Ctrl-Z) until its lease lapsed and another watch took the command over, this one may be ended (the
    // terminal closing sends SIGHUP with SIGCONT) before a renewal told it so: asked once more, not to pause that one's.
    if (lostBecause === undefined && lease !== undefined) lostBecause = await stillElsewhere(client, job, holder);
    if (lostBecause === undefined) await stopFiring(client, job);
  }
  // Another watch took the command over (this one was stopped until its lease lapsed).
  if (lostBecause !== undefined) throw new CliError(`stopped: ${lostBecause}`, EXIT.usage, "The other watch goes on; this one leaves the pipeline to it.");
}

/** Why another watch holds the lease now, if one does; undefined when this one still may pause its pipeline. */
async function stillElsewhere(client: SpireClient, job: PlacedJob, holder: string): Promise<string | undefined> {
  try {
    await client.renewWatchLease(job.namespace, job.name, holder);
    return undefined;
  } catch (error) {
    return heldElsewhere(error) ? error.message : undefined;
  }
}

/**
 * Before anything is applied: a second watch of the same command would share
 * its pipeline (a new interval would change the first's, and the Ctrl-C of
 * either would pause both), so a lease another watch renews refuses it here.
 * A pipeline not there yet, or not made by spire watch, is for the apply to
 * make or refuse.
 */
async function refuseIfWatchedElsewhere(client: SpireClient, job: PlacedJob, holder: string): Promise<void> {
  try {
    await client.renewWatchLease(job.namespace, job.name, holder);
  } catch (error) {
    if (heldElsewhere(error)) throw watchedElsewhere(error);
    if (!(error instanceof ServiceError) || (error.code !== "not_found" && error.code !== "conflict")) throw error;
  }
}

/** Whatever ended the watch (Ctrl-C, or the engine going away), the trigger must stop firing. */
async function stopFiring(client: SpireClient, job: PlacedJob): Promise<void> {
  await client.setPaused(job.namespace, job.name, true).catch((error: Error) => process.stderr.write(`spire: could not pause ${job.namespace}/${job.name}: ${error.message}\nPause it with: spire pause ${job.namespace}/${job.name}\n`));
  await cancelUnfinished(client, job).catch(() => undefined);
}

/** A finished run as the screen shows it: its state, exit code and what the command printed. */
async function watchedRun(client: SpireClient, object: RunObject, lines?: LogLine[]): Promise<WatchedRun> {
  const task = object.tasks[0];
  const printed = lines ?? (task ? (await client.readLogs(object.id, ADHOC_TASK, { limit: 10_000 }).catch(() => ({ lines: [] }))).lines : []);
  return { id: object.id, state: object.state, startedAt: Date.parse(object.started_at ?? object.created_at), exitCode: task?.exit_code ?? null, reason: task?.reason ?? object.reason, lines: printed };
}

/** As watch(1) ends its command on Ctrl-C: a run still going is canceled (and kept, as canceled). */
async function cancelUnfinished(client: SpireClient, job: PlacedJob): Promise<void> {
  const { runs } = await client.listRuns({ namespace: job.namespace, pipeline: job.name, limit: 10 });
  for (const run of runs.filter((run: RunSummary) => !FINISHED.has(run.state))) await client.cancelRun(run.id).catch(() => undefined);
}

/**
 * No engine: the command runs here, in a loop, each run recorded in the
 * data folder. Ctrl-C cancels the run under way (the engine in this process
 * ends it) and stops the loop.
 */
async function watchHere(client: SpireClient, job: PlacedJob, intervalMs: number, options: WatchOptions, screen: WatchScreen, stop: Stop): Promise<void> {
  await applyJob(client, job);
  while (!stop.stopped) {
    const began = Date.now();
    const run = await client.startRun(job.namespace, job.name, { args: {} });
    const lines: LogLine[] = [];
    const letGo = stop.onStop(() => void client.cancelRun(run.id).catch(() => undefined));
    await client.follow(run.id, { logs: "all" }, (event) => {
      if (event.kind === "log") lines.push(event.line);
    });
    letGo();
    if (!stop.stopped) screen.show(await watchedRun(client, await client.getRun(run.id), lines));
    await stop.nap(options.precise ? Math.max(0, began + intervalMs - Date.now()) : intervalMs);
  }
}
