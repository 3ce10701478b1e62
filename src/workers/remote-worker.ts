/**
 * One worker as the engine sees it: what it registered with, the room its
 * running attempts take, the stream assignments go out on, and the engine's
 * handles of the attempts it runs. It is the Executor of those attempts.
 */
import { randomBytes } from "node:crypto";
import type { AttemptReport, AttemptTraces, Executor, LaunchEvents, LaunchSpec, Machine, StartedRecord, TaskHandle } from "../exec/port.js";
import type { Assignment, RegisterRequest } from "./protocol.js";
import type { LogCopy } from "./log-copy.js";

export type WorkerState = "connected" | "lost" | "disconnected";

export interface Room {
  tasks: number;
  cpus: number;
  memoryBytes: number;
}

/** The engine's handle of an attempt running on a worker. */
export class RemoteTask implements TaskHandle {
  readonly done: Promise<AttemptReport>;
  pid: number | null = null;
  startedAt: number | undefined;
  settled = false;
  /** For a task taken up after a restart: a cancel asked before its worker was back. */
  pendingCancel: (() => string | undefined) | undefined;
  private resolve!: (report: AttemptReport) => void;

  constructor(
    readonly id: string,
    /** Absent for an attempt taken up after an engine restart: it cannot be sent again. */
    readonly spec: LaunchSpec | undefined,
    readonly events: LaunchEvents,
    readonly log: LogCopy,
    private readonly sendCancel: (reason: string) => void,
  ) {
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  cancel(reason: string): void {
    if (!this.settled) this.sendCancel(reason);
  }

  settle(report: AttemptReport): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(report);
  }
}

export class RemoteWorker implements Executor {
  state: WorkerState = "connected";
  session = "";
  lastSeen: number;
  connectedSince: number;
  address: string | null;
  /**
   * It registered over plain http from another machine: what the engine
   * sends it crosses a network in clear. Tasks' secrets then go to it only
   * if it said the network is private (allow_insecure).
   */
  inClear = false;
  readonly inUse: Room = { tasks: 0, cpus: 0, memoryBytes: 0 };
  readonly tasks = new Map<string, RemoteTask>();
  /** Assignments that could not be sent (no stream open): sent when it opens. */
  private readonly outbox: Assignment[] = [];
  private send: ((assignment: Assignment) => void) | undefined;

  constructor(
    public registration: RegisterRequest,
    now: number,
    address: string | null,
    private readonly logCopyOf: (spec: LaunchSpec) => LogCopy,
  ) {
    this.lastSeen = now;
    this.connectedSince = now;
    this.address = address;
    this.newSession();
  }

  get name(): string {
    return this.registration.name;
  }

  get machine(): Machine {
    const { name, data_dir, work_dir, node_path } = this.registration;
    return { name, dataDir: data_dir, workDir: work_dir, nodePath: node_path, local: false };
  }

  get capacity(): Room {
    return { tasks: this.registration.tasks, cpus: this.registration.cpus, memoryBytes: this.registration.memory_bytes };
  }

  newSession(): string {
    this.session = randomBytes(12).toString("base64url");
    return this.session;
  }

  /** The assignment stream opened: what waited goes out first. */
  attach(send: (assignment: Assignment) => void): void {
    this.send = send;
    for (const assignment of this.outbox.splice(0)) send(assignment);
  }

  detach(send: (assignment: Assignment) => void): void {
    if (this.send === send) this.send = undefined;
  }

  /**
   * It registered again: its old stream is stale (what was sent on it may
   * never have arrived), so attempts it did not list as running are sent
   * again on the new one; it ignores one it already has.
   */
  reassign(running: readonly string[]): void {
    this.send = undefined;
    this.outbox.length = 0;
    for (const task of this.tasks.values()) {
      if (task.settled || !task.spec || running.includes(task.id)) continue;
      const refusal = this.secretsRefusal(task.spec);
      if (refusal) task.settle(refusedReport(refusal));
      else this.outbox.push({ type: "launch", attempt: task.id, spec: task.spec });
    }
  }

  /** Why `spec` may not go to this worker (its secrets would cross a network in clear), or undefined. */
  secretsRefusal(spec: LaunchSpec): string | undefined {
    if (spec.secrets.length === 0 || !this.inClear || this.registration.allow_insecure) return undefined;
    return (
      `not sent to worker ${this.name}: the task has secrets, and the worker is connected over plain http from ${this.address ?? "an unknown address"}, where the network could read them. ` +
      "Serve the engine over https (spire engine --tls-cert FILE --tls-key FILE), or, if that network is private and encrypted already (Tailscale, WireGuard, an SSH tunnel), start the worker with --allow-insecure"
    );
  }

  get streaming(): boolean {
    return this.send !== undefined;
  }

  assign(assignment: Assignment): void {
    if (this.send) this.send(assignment);
    else this.outbox.push(assignment);
  }

  launch(spec: LaunchSpec, events: LaunchEvents = {}): TaskHandle {
    const refusal = this.secretsRefusal(spec);
    if (refusal) return { id: spec.id, cancel() {}, done: Promise.resolve(refusedReport(refusal)) };
    const task = new RemoteTask(spec.id, spec, events, this.logCopyOf(spec), (reason) => this.assign({ type: "cancel", attempt: spec.id, reason }));
    // Kept until its end is stored (WorkerHub.recorded): a repeated end report is recognised until then.
    this.tasks.set(spec.id, task);
    this.assign({ type: "launch", attempt: spec.id, spec });
    return task;
  }

  /** Takes up a handle made after an engine restart (see WorkerHub.adopt). */
  adopt(task: RemoteTask): void {
    this.tasks.set(task.id, task);
  }

  /** Its attempts end here as interrupted (it was lost); `fenced` remembers them, so its late reports are refused. */
  loseAll(reason: string, now: number): string[] {
    const lost: string[] = [];
    for (const [id, task] of this.tasks) {
      if (task.settled) continue;
      task.settle(interruptedReport(reason, task.pid, task.startedAt ?? now, now));
      this.tasks.delete(id);
      lost.push(id);
    }
    return lost;
  }

  async shutdown(): Promise<void> {}

  // A worker's attempts leave their traces on its own disk: after an engine restart they are found by asking it.
  async traces(): Promise<AttemptTraces> {
    return {};
  }

  killOrphan(_started: StartedRecord): boolean {
    return false;
  }
}

/** The end of an attempt never sent to its worker: it failed before it started. */
function refusedReport(reason: string): AttemptReport {
  const now = Date.now();
  return { state: "failed", exitCode: null, signal: null, reason, pid: null, startedAt: now, finishedAt: now, warnings: 0, errors: 1, metrics: {}, outputs: {}, tail: [] };
}

export function interruptedReport(reason: string, pid: number | null, startedAt: number, now: number): AttemptReport {
  return { state: "interrupted", exitCode: null, signal: null, reason, pid, startedAt, finishedAt: now, warnings: 0, errors: 1, metrics: {}, outputs: {}, tail: [] };
}
