/**
 * One attempt of one task: a process group from spawn until nothing of it
 * is left.
 *
 *   spawn ──(started: in a later turn with the native spawner)──▶ running ──(exits on its own)──▶ SIGKILL what is left of the group
 *                 └──(timeout / cancel / over a limit)──▶ SIGTERM group, then escapees ── grace ──▶ SIGKILL
 *                      (signalled with every attempt stopped at that moment: see stopper.ts)
 *   then: group gone + pipes closed ──▶ read SPIRE_OUTPUT ──▶ log flushed ──▶ done
 *   (a cancel while it is still starting is kept, and carried out as soon as it runs)
 *
 * Invariant: once the group has been seen empty, its number is never
 * signalled again, because a pid (and so a pgid) can then be reused by an
 * unrelated process.
 */
import { constants } from "node:os";
import { dirname } from "node:path";
import type { AttemptEnd, AttemptReport, LaunchEvents, LaunchSpec, LogStream, TaskHandle } from "./port.js";
import { OutputCapture } from "./capture.js";
import { LogWriter } from "./log-writer.js";
import type { LingerWatch, Lingerer } from "./linger-watch.js";
import { takeOutputFile } from "./output-file.js";
import { explainSpawnError } from "./spawn-errors.js";
import { makePrivateDirSyncOnce } from "../files/private.js";
import { formatDuration } from "../files/format.js";
import type { ResourceMonitor, Tracker } from "./resources/monitor.js";
import { hasLimits, limitExceeded } from "./resources/limits.js";
import type { TreeUsage } from "./resources/port.js";
import { groupAlive, handlesSignalSync, processesWithEnv, processKey, readProcStatSync, signalGroup, signalProcess, stillRunning, HAS_PROC, type ProcInfo } from "./process-tree.js";
import type { Stoppable, StoppedTree, Stopper, StopSignal } from "./stopper.js";
import type { Leader, StrayLook } from "./stray-sweep.js";
import type { Spawner, TaskOutput, TaskProcess } from "./spawner/index.js";

/** After the leader exited and the group was killed, pipes still open this long mean an escaped holder. */
const LINGER_RESCUE_MS = 200;
/** Give up on pipes nobody can be found holding (no /proc, or a holder we may not signal). */
const LINGER_GIVE_UP_MS = 5_000;
/** A group still there this long after its wait began is looked for in /proc: it may hold only zombies. */
const ZOMBIE_LOOK_AFTER_MS = 50;
/** How long SIGKILLed members may take to vanish before we stop waiting (a process stuck in the kernel). */
const KILL_WAIT_MS = 10_000;

export { formatDuration };

/**
 * Every process of an attempt inherits this variable, with a value unique to
 * the attempt (`<executor>.<n>:<spec id>`; the spec id alone repeats across
 * engines and test files), so that descendants that left the group can
 * still be found in /proc.
 */
export const EXEC_ID_VARIABLE = "SPIRE_EXEC_ID";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the attempts of one executor share. */
export interface AttemptServices {
  lingerWatch: LingerWatch;
  stopper: Stopper;
  /** Samples CPU and memory of the process tree (none: no figures, no limits). */
  monitor?: ResourceMonitor;
  /** Starts the task's process (posix_spawn, or Node's spawn). */
  spawner: Spawner;
}

/** The kernel's "this process is exiting" flag (include/linux/sched.h), set as exit begins, before the zombie state. */
const PF_EXITING = 0x4;

export class Attempt implements TaskHandle, Lingerer, Stoppable {
  readonly id: string;
  readonly done: Promise<AttemptReport>;
  #resolve!: (report: AttemptReport) => void;
  readonly #spec: LaunchSpec;
  readonly #events: LaunchEvents;
  readonly #watch: LingerWatch;
  readonly #writer: LogWriter;
  readonly #capture: OutputCapture;
  #child: TaskProcess | undefined;
  readonly #spawner: Spawner;
  #pid: number | null = null;
  #startedAt = Date.now();
  /** performance.now() just before the spawn was asked for: the leader's pid is no older (stray-sweep.ts). */
  #requestedAt = 0;
  #exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  #ending: { state: Extract<AttemptEnd, "timed_out" | "canceled" | "failed">; reason: string } | undefined;
  /**
   * Whether the ending (cancel, timeout, limit) reached the leader while it still ran. Asking to end
   * is not ending: the leader may exit on its own before the SIGTERM goes out (it goes out in the
   * next turn, with the others of the moment) or just before the ask (its exit not yet reported by
   * Node); it then ended by itself, and its own exit says how.
   */
  #endingTookEffect = false;
  /** The leader's start time (clock ticks since boot), read with its state at the first signal. */
  #leaderStartTime: number | undefined;
  /** The first signal of the ending went out (and #endingTookEffect was decided then). */
  #signalled = false;
  /**
   * At the first signal the leader neither caught nor ignored it, so it could only have died of it:
   * if its status is then an exit code, it had begun to exit on its own before the signal came (in
   * the moment between the look and the signal), and the exit is its own.
   */
  #signalWouldKill = false;

  /** Resolves once the look for descendants outside the group, after the last signal, is done. */
  #looked: Promise<void> | undefined;
  readonly #stopper: Stopper;
  #groupGone = false;
  #groupGoneAt = 0;
  #escaped: ProcInfo[] = [];
  #openPipes = 0;
  #pipesClosed: (() => void) | undefined;
  #timeoutTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  /** "SPIRE_EXEC_ID=…", as it appears in /proc/<pid>/environ. */
  readonly execEntry: string;
  #gaveUp = false;
  #settled = false;
  readonly #monitor: ResourceMonitor | undefined;
  #usage: Tracker | undefined;

  /** `execId`: the value of SPIRE_EXEC_ID for this attempt, unique among all attempts anywhere. */
  constructor(spec: LaunchSpec, events: LaunchEvents, services: AttemptServices, execId: string) {
    this.id = spec.id;
    this.#monitor = services.monitor;
    this.#stopper = services.stopper;
    this.#spawner = services.spawner;
    this.#spec = spec;
    this.#events = events;
    this.#watch = services.lingerWatch;
    this.execEntry = `${EXEC_ID_VARIABLE}=${execId}`;
    this.#writer = new LogWriter(spec.logFile);
    this.#capture = new OutputCapture(spec, this.#writer, events);
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Starts the process; never throws (a failure to start is a failed attempt). */
  start(): void {
    const [command, ...args] = this.#spec.argv;
    if (command === undefined || command === "") return void this.#failToStart(undefined, "no command to run");
    let child: TaskProcess;
    try {
      // SPIRE_OUTPUT must be writable from the task's first instruction: its folder (the run's, shared by its tasks) exists before the process does.
      makePrivateDirSyncOnce(dirname(this.#spec.outputFile));
      const env = { ...this.#spec.env, [EXEC_ID_VARIABLE]: this.execEntry.slice(EXEC_ID_VARIABLE.length + 1) };
      // The task is the user's program: the spawner gives it the user's umask, not Spire's (files/private.ts),
      // its own session and process group, stdin from /dev/null, stdout and stderr apart (spawner/port.ts).
      this.#requestedAt = performance.now();
      child = this.#spawner.spawn(command, args, { cwd: this.#spec.cwd, env });
    } catch (error) {
      return void this.#failToStart(error);
    }
    this.#child = child;
    if (child.pid !== undefined) return this.#running(child, child.pid);
    // Still starting (the native spawner tells in a later turn), or a failure to start that Node's spawn reports next.
    child.once("error", (error) => void (this.#pid === null && this.#failToStart(error)));
    child.once("spawn", () => this.#running(child, child.pid!));
  }

  #running(child: TaskProcess, pid: number): void {
    this.#pid = pid;
    const limited = hasLimits(this.#spec.limits);
    this.#usage = this.#monitor?.track({ pgid: pid, execEntry: this.execEntry, limited, onSample: (usage) => this.#checkLimits(usage) });
    child.on("error", () => undefined); // only failures to start are emitted (nothing here calls child.kill()), handled above
    // A pid means the process exists; tell after launch() has returned its handle.
    if (this.#events.onStart !== undefined) queueMicrotask(() => this.#events.onStart?.(pid, this.#startedAt));
    child.once("exit", (code, signal) => this.#leaderExited(code, signal));
    this.#openPipes = 2;
    this.#capturePipe("stdout", child.stdout!);
    this.#capturePipe("stderr", child.stderr!);
    // Canceled (or the executor shut down) while it was starting: it is ended now that there is a group to signal.
    if (this.#ending !== undefined) return this.#signalEnding();
    const timeoutMs = this.#spec.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      this.#timeoutTimer = setTimeout(() => this.#terminate("timed_out", `timed out after ${formatDuration(timeoutMs)}`), timeoutMs);
    }
  }

  /** The leader, once it has a pid: for the stray sweep. */
  get leader(): Leader | undefined {
    return this.#pid === null ? undefined : { pid: this.#pid, requestedAt: this.#requestedAt };
  }

  /**
   * What the stray sweep must look at once done. With its group seen gone, whatever of the attempt is left
   * runs outside the group and got its pid after the leader's: a look at those pids is enough (ended by us,
   * it also catches what was born after the stopper's look). A group that would not end: every process.
   */
  get strayLook(): StrayLook {
    return this.#groupGone ? "window" : "full";
  }

  cancel(reason: string): void {
    this.#terminate("canceled", reason);
  }

  /** Ends the attempt before it started (the executor is shutting down). */
  refuse(reason: string): void {
    this.#ending = { state: "canceled", reason };
    this.#resolve(this.#report("canceled", null, null, reason, Date.now()));
  }

  #capturePipe(stream: LogStream, pipe: TaskOutput): void {
    // Bytes, not decoded text: the capture copies most lines to the log without making them strings.
    pipe.on("data", (chunk: Buffer) => this.#capture.push(stream, chunk));
    // End of file is enough (waiting for "close" costs another turn of the event loop per task);
    // "close" covers a pipe destroyed without reaching its end.
    let open = true;
    const ended = () => {
      if (!open) return;
      open = false;
      this.#capture.end(stream);
      if (--this.#openPipes === 0) {
        this.#watch.unwatch(this);
        this.#pipesClosed?.();
      }
    };
    pipe.once("end", ended);
    pipe.once("close", ended);
  }

  #leaderExited(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exit = { code, signal, at: Date.now() };
    clearTimeout(this.#timeoutTimer);
    this.#usage?.leaderExited(this.#child?.usage); // reads what is left of the tree before the SIGKILL below
    // Background children left in the group are killed now, in the same tick as
    // the exit: the group number is certainly still ours (see the invariant above).
    // Where the spawner looked at the group right after the reap, a group seen gone needs no signal.
    if (this.#ending === undefined && (this.#child?.groupGoneAtExit === true || !signalGroup(this.#pid!, "SIGKILL"))) this.#markGroupGone();
    if (this.#openPipes > 0) this.#watch.watch(this);
    void this.#finish();
  }

  #terminate(state: "timed_out" | "canceled" | "failed", reason: string): void {
    // No process and none coming: never started, or failed to.
    if (this.#ending !== undefined || this.#exit !== undefined || this.#settled || this.#child === undefined) return;
    this.#ending = { state, reason };
    clearTimeout(this.#timeoutTimer);
    if (this.#pid !== null) this.#signalEnding(); // else still starting: #running signals it as soon as it runs
  }

  #signalEnding(): void {
    this.#stop("SIGTERM");
    this.#graceTimer = setTimeout(() => this.#stop("SIGKILL"), this.#spec.killGraceMs);
  }

  #stop(signal: StopSignal): void {
    this.#looked = this.#stopper.stop(this, signal);
  }

  #checkLimits(usage: TreeUsage): void {
    const reason = limitExceeded(this.#spec.limits, usage);
    if (reason !== undefined) this.#terminate("failed", reason);
  }

  /** Stoppable: signals the group, and the descendants already known to have left it (earlier looks, the resource monitor's last sample). */
  signalNow(signal: StopSignal): StoppedTree | undefined {
    if (this.#settled || this.#pid === null) return undefined;
    if (!this.#signalled) {
      this.#signalled = true;
      // Read just before the signal (same turn): a leader that has begun to exit by now ended on its own.
      this.#endingTookEffect = this.#leaderRunning();
      this.#signalWouldKill = HAS_PROC && handlesSignalSync(this.#pid, constants.signals[signal]) === false;
    }
    if (!this.#groupGone && !signalGroup(this.#pid, signal)) this.#markGroupGone();
    const pgid = this.#pid;
    this.addEscaped([...(this.#usage?.account.members ?? [])].filter((member) => member.pgid !== pgid && member.state !== "Z"));
    for (const info of this.#escaped) signalProcess(info, signal);
    return { pgid: this.#groupGone ? undefined : pgid, known: [...this.#escaped], leaderStartTime: this.#leaderStartTime ?? this.#usage?.leaderStartTime };
  }

  /** Stoppable: processes of this attempt outside its group, to wait for (and SIGKILL after the grace). */
  addEscaped(found: readonly ProcInfo[]): void {
    const known = new Set(this.#escaped.map(processKey));
    for (const info of found) {
      const key = processKey(info);
      if (known.has(key)) continue;
      known.add(key);
      this.#escaped.push({ pid: info.pid, ppid: info.ppid, pgid: info.pgid, state: info.state, startTime: info.startTime });
    }
  }

  /**
   * The leader has not begun to exit. The spawner reports an exit in the same turn as it reaps the process (spawner/port.ts),
   * so before that report the leader is running, exiting or a zombie; /proc tells which (a process
   * that has begun to exit carries PF_EXITING in its flags before it becomes a zombie).
   */
  #leaderRunning(): boolean {
    if (this.#exit !== undefined) return false;
    if (!HAS_PROC) return true;
    const stat = readProcStatSync(this.#pid!);
    if (stat === undefined) return true; // unreadable: nothing says it exited, so the signal counts
    this.#leaderStartTime ??= Number(stat.info.startTime);
    // flags is field 9 of proc(5); the fields start at field 3.
    return stat.info.state !== "Z" && stat.info.state !== "X" && (Number(stat.fields[6]) & PF_EXITING) === 0;
  }

  #markGroupGone(): void {
    if (this.#groupGone) return;
    this.#groupGone = true;
    this.#groupGoneAt = Date.now();
  }

  /** LingerWatch: the pipes stay open after the leader exited. Only a holder outside the group can keep them open once it is gone. */
  onLinger(): void {
    if (!this.#groupGone) return; // members still ending (a TERM trap within its grace) may hold them
    const lingeredMs = Date.now() - this.#groupGoneAt;
    if (lingeredMs >= LINGER_GIVE_UP_MS && !this.#gaveUp) {
      this.#gaveUp = true;
      this.#capture.note("stderr", "spire: output pipes still held open by an unknown process; stopped reading");
      this.#child?.stdout?.destroy();
      this.#child?.stderr?.destroy();
    } else if (lingeredMs >= LINGER_RESCUE_MS) {
      this.#killStrays();
    }
  }

  /** The group is gone but the pipes are open: what holds them left the group. Find it by the attempt's environment entry. */
  #killStrays(): void {
    for (const info of processesWithEnv(this.execEntry)) signalProcess(info, "SIGKILL");
  }

  async #finish(): Promise<void> {
    try {
      // When the group is already gone nothing can write SPIRE_OUTPUT any more: read it while the pipes drain.
      const outputsRead = this.#groupGone ? takeOutputFile(this.#spec.outputFile) : undefined;
      // Both at once: a holder outside the group is only looked for once the group is gone.
      const pipesClosed = this.#openPipes > 0 ? new Promise<void>((resolve) => (this.#pipesClosed = resolve)) : undefined;
      if (!this.#groupGone) await this.#waitGroupGone();
      await pipesClosed;
      // Ended by us: what left the group is known once the look after the signals is done.
      await this.#looked;
      if (this.#escaped.length > 0) await this.#waitEscapedGone();
      clearTimeout(this.#graceTimer);
      const { outputs, problems } = await (outputsRead ?? takeOutputFile(this.#spec.outputFile));
      for (const problem of problems) this.#capture.warn("stderr", `spire: SPIRE_OUTPUT ${problem}`);
      const fileOutputs = Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, this.#capture.mask(value)]));
      await Promise.all([this.#writer.close(), this.#usage?.measured]);
      this.#settle(this.#endReport({ ...this.#capture.markerOutputs, ...fileOutputs }));
    } catch (error) {
      await this.#writer.close().catch(() => undefined);
      this.#settle(this.#report("failed", null, null, `internal error while ending the task: ${(error as Error).message}`, Date.now()));
    }
  }

  async #waitGroupGone(): Promise<void> {
    const deadline = Date.now() + this.#spec.killGraceMs + KILL_WAIT_MS;
    const since = performance.now();
    while (!this.#groupGone && Date.now() < deadline) {
      const waitedMs = performance.now() - since;
      // Members just killed are gone once reaped, a moment later. Only a group that stays may be zombies alone
      // (an init that does not reap), which /proc tells: one read serves every attempt waiting meanwhile.
      const gone = waitedMs < ZOMBIE_LOOK_AFTER_MS ? !signalGroup(this.#pid!, 0) : !groupAlive(this.#pid!, () => this.#stopper.freshTable(since, waitedMs / 4));
      if (gone) return this.#markGroupGone();
      // Left on its own: keep killing (a member may have forked meanwhile). Ended by us: the grace timer does it.
      if (this.#ending === undefined) signalGroup(this.#pid!, "SIGKILL");
      await delay(10);
    }
  }

  /** Descendants that left the group get the same grace (the grace timer SIGKILLs them). */
  async #waitEscapedGone(): Promise<void> {
    const deadline = Date.now() + this.#spec.killGraceMs + KILL_WAIT_MS;
    while (this.#escaped.length > 0 && Date.now() < deadline) {
      this.#escaped = this.#escaped.filter(stillRunning);
      if (this.#escaped.length > 0) await delay(10);
    }
  }

  #endReport(outputs: Record<string, string>): AttemptReport {
    const { code, signal, at } = this.#exit!;
    let state: AttemptEnd = code === 0 ? "succeeded" : "failed";
    let reason: string | null = signal === null ? null : `killed by ${signal} (not sent by Spire${signal === "SIGKILL" ? "; out of memory?" : ""})`;
    const endedByItself = this.#signalWouldKill && signal === null;
    if (this.#ending !== undefined && this.#endingTookEffect && !endedByItself) ({ state, reason } = this.#ending);
    if (reason === null && this.#writer.error !== undefined) reason = `log not written: ${this.#writer.error.message}`;
    // The exit may be seen before the last output is read (pidfd and pipes are polled alike): the end follows both.
    return { ...this.#report(state, code, signal, reason, Math.max(at, this.#capture.lastStampAt)), outputs };
  }

  #report(state: AttemptEnd, exitCode: number | null, signal: string | null, reason: string | null, finishedAt: number): AttemptReport {
    return {
      state,
      exitCode,
      signal,
      reason,
      pid: this.#pid,
      startedAt: this.#startedAt,
      finishedAt,
      warnings: this.#capture.warnings,
      errors: this.#capture.errors,
      metrics: this.#capture.metrics.toRecord(),
      outputs: { ...this.#capture.markerOutputs },
      tail: this.#capture.tail(),
      ...this.#capture.keptMessages(),
      ...this.#usageFigures(),
    };
  }

  /** Ends the sampling; the figures when something was measured. */
  #usageFigures(): Pick<AttemptReport, "cpuMs" | "peakRssBytes"> {
    return this.#usage === undefined ? {} : (this.#monitor?.untrack(this.#usage) ?? {});
  }

  async #failToStart(error: unknown, why?: string): Promise<void> {
    const command = this.#spec.argv[0] ?? "";
    const failure = why !== undefined ? { exitCode: 127, reason: why } : await explainSpawnError(error, command, this.#spec.cwd);
    const reason = this.#capture.mask(failure.reason);
    this.#capture.note("stderr", `spire: ${reason}`);
    await this.#writer.close();
    this.#settle(this.#report("failed", failure.exitCode, null, reason, Date.now()));
  }

  #settle(report: AttemptReport): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#usage !== undefined) this.#monitor?.untrack(this.#usage);
    clearTimeout(this.#timeoutTimer);
    clearTimeout(this.#graceTimer);
    this.#watch.unwatch(this);
    this.#resolve(report);
  }
}
