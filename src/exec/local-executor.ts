/**
 * The Executor that runs tasks as child processes of this process.
 *
 * It imports nothing from the engine or the store: specs and reports are
 * plain JSON-serialisable values, so the same class can later live in a
 * small supervisor process that owns the process groups and outlives the
 * engine (the engine would send LaunchSpec / cancel over a local socket and
 * receive onStart / onProgress / AttemptReport back).
 */
import { randomBytes } from "node:crypto";
import type { AttemptReport, AttemptTraces, Executor, LaunchEvents, LaunchSpec, StartedRecord, TaskHandle } from "./port.js";
import { launchInProcess } from "./in-process.js";
import { appendRecord, killIfStillItself, pidStartTime, readAttemptRecords } from "./supervisor/attempt-files.js";
import { Attempt, EXEC_ID_VARIABLE, type AttemptServices } from "./attempt.js";
import { LingerWatch } from "./linger-watch.js";
import { StraySweep } from "./stray-sweep.js";
import { Stopper } from "./stopper.js";
import { ResourceMonitor } from "./resources/monitor.js";
import { defaultSpawner, type Spawner } from "./spawner/index.js";

export interface LocalExecutorOptions {
  /** Sample CPU and memory of each attempt's process tree (and enforce LaunchSpec.limits). On by default; off only to measure what sampling costs. */
  resources?: boolean;
  /** What starts task processes: by default this process's choice (the native spawner where it is built; SPIRE_SPAWNER). */
  spawner?: Spawner;
  /**
   * Write the started record of each attempt still running a moment after its start beside its log, as the supervisor
   * does (attempt-files.ts): for `spire run`, whose tasks are its own children, so that an engine can end them should
   * that process be killed.
   */
  records?: boolean;
}

export class LocalExecutor implements Executor {
  readonly #running = new Map<string, Attempt>();
  /** Distinguishes this executor's attempts from every other's (other engines, other test files). */
  readonly #idPrefix = `${randomBytes(4).toString("hex")}.`;
  readonly #straySweep = new StraySweep(`${EXEC_ID_VARIABLE}=${this.#idPrefix}`, {
    isRunning: (entry) => this.#running.has(entry),
    runningLeaders: () => [...this.#running.values()].flatMap((attempt) => attempt.leader ?? []),
  });
  readonly #services: AttemptServices;
  #counter = 0;
  #shutdownReason: string | undefined;
  readonly #records: boolean;

  constructor(options: LocalExecutorOptions = {}) {
    this.#records = options.records === true;
    this.#services = {
      lingerWatch: new LingerWatch(),
      stopper: new Stopper(`${EXEC_ID_VARIABLE}=${this.#idPrefix}`),
      spawner: options.spawner ?? defaultSpawner().spawner,
      ...(options.resources === false ? {} : { monitor: new ResourceMonitor() }),
    };
  }

  /** Starts one attempt. Never throws: a command that cannot start ends as a failed attempt. */
  launch(spec: LaunchSpec, events: LaunchEvents = {}): TaskHandle {
    // An http or sql task is done here, not by a process.
    const inProcess = launchInProcess(spec, events);
    if (inProcess) return inProcess;
    const recorded = this.#records ? recording(spec.logFile, events) : undefined;
    const attempt = new Attempt(spec, recorded?.events ?? events, this.#services, `${this.#idPrefix}${++this.#counter}:${spec.id}`);
    if (this.#shutdownReason !== undefined) {
      attempt.refuse(this.#shutdownReason);
      return attempt;
    }
    this.#running.set(attempt.execEntry, attempt);
    void attempt.done.then(() => {
      recorded?.ended();
      this.#running.delete(attempt.execEntry);
      // A daemon may have slipped away (ended by us: born after the stopper's look).
      const leader = attempt.leader;
      if (leader !== undefined) this.#straySweep.ended(leader, attempt.strayLook);
    });
    this.#straySweep.spawning();
    attempt.start();
    return attempt;
  }

  traces(logFile: string): Promise<AttemptTraces> {
    return readAttemptRecords(logFile);
  }

  killOrphan(started: StartedRecord): boolean {
    return killIfStillItself(started);
  }

  /** Attempts started and not yet done. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** Kills, now, processes of attempts that already ended (normally done about a second after they end). */
  sweepStrays(): void {
    this.#straySweep.sweep();
  }

  /** Cancels every attempt (SIGTERM to all at once, SIGKILL after each one's grace) and waits until all are gone. Later launches are refused. */
  async shutdown(reason = "canceled: executor shut down"): Promise<void> {
    this.#shutdownReason = reason;
    const pending: Promise<AttemptReport>[] = [];
    for (const attempt of this.#running.values()) {
      attempt.cancel(reason);
      pending.push(attempt.done);
    }
    await Promise.all(pending);
    this.#straySweep.flush();
  }
}

/**
 * The started record of an attempt that is still running a moment after its
 * start: a task that ends sooner (most of a task graph's) costs no file, and
 * one killed with this process that soon is left as before records were kept.
 */
const RECORD_AFTER_MS = 200;

function recording(logFile: string, events: LaunchEvents): { events: LaunchEvents; ended(): void } {
  let timer: NodeJS.Timeout | undefined;
  const onStart = (pid: number, startedAt: number) => {
    timer = setTimeout(() => {
      try {
        appendRecord(logFile, { started: { pid, startedAt, pidStartTime: pidStartTime(pid) } });
      } catch {
        // No record: should this process be killed, the task runs on unseen.
      }
    }, RECORD_AFTER_MS);
    timer.unref();
    events.onStart?.(pid, startedAt);
  };
  return { events: { ...events, onStart }, ended: () => clearTimeout(timer) };
}
