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
import type { RunChange } from "../../engine/run-controller.js";
import type { RunObject } from "../../engine/run-object.js";
import type { PipelineDetail, RunSummary } from "../../engine/service.js";
import type { RunState } from "../../store/port.js";
import { ADHOC_TASK, adhocName, parseCommand, type AdhocPipeline } from "../adhoc/job.js";
import type { EngineClient } from "../client.js";
import { CliError, EXIT } from "../errors.js";
import type { Renderer } from "../render/run-renderer.js";
import { createWatchScreen, type WatchedRun, type WatchScreen } from "../render/watch-screen.js";
import { applyJob, engineIfUp, engineNamespace, localNamespace, pipelinePath, placeJob, type PlacedJob } from "./adhoc.js";
import { runInProcess } from "./run.js";
import { holdLease, type HeldLease } from "./watch-lease.js";

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
  // Watches of one command share a pipeline (and so a history) whatever their interval.
  const name = adhocName(command, cwd, "watch", "watch-");
  const client = await engineIfUp(options);
  const stop = stopSignal();
  const screen = createWatchScreen({ intervalMs, command: command.display });
  try {
    if (client) {
      const trigger = { every: `${intervalMs}ms`, ...(options.precise ? {} : { after_finish: true }), start: new Date(Date.now() + intervalMs).toISOString() };
      const job = placeJob(name, watchPipeline(command, cwd, [trigger]), options.ns, await engineNamespace(client, options.ns));
      await watchOnEngine(client, job, intervalMs, screen, stop);
      screen.close();
      process.stderr.write(`${pc.dim(`stopped: ${job.namespace}/${job.name} is paused; its runs: spire runs ${job.name}; remove it: spire rm ${job.namespace}/${job.name}`)}\n`);
    } else {
      const job = placeJob(name, watchPipeline(command, cwd, []), options.ns, await localNamespace(options.ns, options.data));
      await watchHere(job, intervalMs, options, screen, stop);
      screen.close();
      process.stderr.write(`${pc.dim(`stopped; its runs: spire runs ${job.name}`)}\n`);
    }
  } finally {
    screen.close();
    stop.dispose();
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

interface Stop {
  readonly promise: Promise<void>;
  readonly stopped: boolean;
  dispose(): void;
}

/** Resolves on Ctrl-C (or SIGTERM, or the terminal closing). */
function stopSignal(): Stop {
  let stopped = false;
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  const onSignal = () => {
    stopped = true;
    resolve();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    promise,
    get stopped() {
      return stopped;
    },
    dispose: () => STOP_SIGNALS.forEach((signal) => process.off(signal, onSignal)),
  };
}

const sleep = (ms: number, stop: Stop) => Promise.race([new Promise((resolve) => setTimeout(resolve, ms)), stop.promise]);

/**
 * The engine fires the trigger (from one interval after now); a first run is
 * started at once, as watch(1) runs its command at once. Runs of this watch
 * are those created from the first one on; each is shown when it ends.
 */
async function watchOnEngine(client: EngineClient, job: PlacedJob, intervalMs: number, screen: WatchScreen, stop: Stop): Promise<void> {
  await applyJob(client, job);
  const path = pipelinePath(job);
  if ((await client.call<PipelineDetail>("GET", path)).paused) await client.call("POST", `${path}/resume`);
  let lease: HeldLease | undefined;
  try {
    lease = await holdLease(client, job);
    const first = await client.call<RunObject>("POST", `${path}/runs`, { args: {} });
    const since = first.created_at;
    const shown = new Set<string>();
    const pollMs = Math.min(250, Math.max(50, intervalMs / 4));
    while (!stop.stopped) {
      const query = new URLSearchParams({ namespace: job.namespace, pipeline: job.name, limit: "50" });
      const { runs } = await client.call<{ runs: RunSummary[] }>("GET", `/runs?${query}`);
      const ended = runs.filter((run) => run.created_at >= since && FINISHED.has(run.state) && !shown.has(run.id)).reverse();
      // On a terminal only the newest matters; elsewhere each run is printed once, in order.
      for (const run of process.stdout.isTTY ? ended.slice(-1) : ended) screen.show(await engineRun(client, run));
      for (const run of ended) shown.add(run.id);
      await sleep(pollMs, stop);
    }
  } finally {
    // Whatever ended the watch (Ctrl-C, or the engine going away), the trigger must stop firing.
    lease?.stop();
    await client.call("POST", `${path}/pause`).catch((error: Error) => process.stderr.write(`spire: could not pause ${job.namespace}/${job.name}: ${error.message}\nPause it with: spire pause ${job.namespace}/${job.name}\n`));
    await cancelUnfinished(client, job).catch(() => undefined);
  }
}

async function engineRun(client: EngineClient, run: RunSummary): Promise<WatchedRun> {
  const object = await client.call<RunObject>("GET", `/runs/${run.id}`);
  const task = object.tasks[0];
  const text = task ? await client.call<string>("GET", `/runs/${run.id}/tasks/${ADHOC_TASK}/logs?limit=10000`, undefined, { raw: true }).catch(() => "") : "";
  const lines = text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
  return { id: run.id, state: object.state, startedAt: Date.parse(object.started_at ?? object.created_at), exitCode: task?.exit_code ?? null, reason: task?.reason ?? object.reason, lines };
}

/** As watch(1) ends its command on Ctrl-C: a run still going is canceled (and kept, as canceled). */
async function cancelUnfinished(client: EngineClient, job: PlacedJob): Promise<void> {
  const query = new URLSearchParams({ namespace: job.namespace, pipeline: job.name, limit: "10" });
  const { runs } = await client.call<{ runs: RunSummary[] }>("GET", `/runs?${query}`);
  for (const run of runs.filter((run) => !FINISHED.has(run.state))) await client.call("POST", `/runs/${run.id}/cancel`).catch(() => undefined);
}

/** No engine: runs the command here, in a loop, each run recorded in the data folder. */
async function watchHere(job: PlacedJob, intervalMs: number, options: WatchOptions, screen: WatchScreen, stop: Stop): Promise<void> {
  while (!stop.stopped) {
    const began = Date.now();
    const capture = new CaptureRenderer();
    await runInProcess({ file: job.file, name: job.name, namespace: job.namespace, origin: job.origin, baseDir: job.cwd, renderer: capture }, {}, { arg: [], ...(options.data !== undefined ? { data: options.data } : {}) });
    if (capture.run && !stop.stopped) screen.show(capture.run);
    await sleep(options.precise ? Math.max(0, began + intervalMs - Date.now()) : intervalMs, stop);
  }
}

/** Keeps a local run's output for the screen instead of printing it. */
class CaptureRenderer implements Renderer {
  private readonly lines: LogLine[] = [];
  run: WatchedRun | undefined;
  onChange(change: RunChange): void {
    if (change.type === "line") this.lines.push(change.line);
  }
  note(): void {}
  async finish(run: RunObject): Promise<void> {
    const task = run.tasks[0];
    this.run = { id: run.id, state: run.state, startedAt: Date.parse(run.started_at ?? run.created_at), exitCode: task?.exit_code ?? null, reason: task?.reason ?? run.reason, lines: this.lines };
  }
}
