/**
 * SupervisorExecutor: the Executor the engine uses when tasks run in a
 * supervisor process (see main.ts). Every handle's `done` resolves, never
 * rejects, and never hangs: if the supervisor goes away, pending attempts
 * end as failed with the reason ("supervisor exited: killed by SIGKILL").
 */
import type { AttemptReport, AttemptTraces, Executor, LaunchEvents, LaunchSpec, StartedRecord, TaskHandle } from "../port.js";
import { launchInProcess } from "../in-process.js";
import { killIfStillItself, readAttemptRecords } from "./attempt-files.js";
import { childLink, socketLink, type ChildOptions, type Link } from "./link.js";
import { encode, type KnownAttempt, type Request, type SupervisorEvent } from "./protocol.js";
import { RemoteAttempt } from "./remote-attempt.js";
import type { SpawnerKind } from "../spawner/port.js";

type Hello = Extract<SupervisorEvent, { type: "hello" }>;

export interface ClientOptions {
  /**
   * Ack each report as soon as it arrives (the supervisor then forgets it).
   * Right when nothing outlives this client (stdio); an engine that must
   * survive its own death acks with ack() once the result is stored.
   */
  autoAck?: boolean;
  /** Errors the supervisor reports about requests it could not act on; stderr by default. */
  onProtocolError?(message: string): void;
}

export class SupervisorExecutor implements Executor {
  readonly #link: Link;
  readonly #options: ClientOptions;
  readonly #attempts = new Map<string, RemoteAttempt>();
  /** Reports of attempts this client did not launch (an earlier client did), until adopt() claims them. */
  readonly #unclaimed = new Map<string, AttemptReport>();
  readonly #listWaiters: { resolve(attempts: KnownAttempt[]): void; reject(error: Error): void }[] = [];
  readonly #closed: Promise<void>;
  #hello: { resolve(hello: Hello): void; reject(error: Error): void } | undefined;
  #closedReason: string | undefined;
  /** Shutting down or disconnecting: the wire must keep this process alive until it closes. */
  #shuttingDown = false;
  /** Why the link to the supervisor closed (it exited, say); undefined while it is up. */
  get lostReason(): string | undefined {
    return this.#closedReason;
  }

  /** The supervisor's pid (from its hello). */
  pid = 0;
  /** When the supervisor started (from its hello): an attempt stored as started after this, and unknown to it, never reached it. */
  startedAt = 0;
  /** How the supervisor starts tasks, and why not natively when it does not (from its hello; undefined from an older supervisor). */
  spawner: { kind: SpawnerKind; note?: string } | undefined;

  private constructor(link: Link, options: ClientOptions) {
    this.#link = link;
    this.#options = options;
    let closed!: () => void;
    this.#closed = new Promise((resolve) => (closed = resolve));
    link.listen(
      (line) => this.#receive(line),
      (reason) => {
        this.#lost(reason);
        closed();
      },
    );
  }

  /** Starts a supervisor as a child speaking over stdin/stdout; it ends its tasks and exits when this process dies. */
  static async startChild(options: ClientOptions & ChildOptions = {}): Promise<SupervisorExecutor> {
    return new SupervisorExecutor(childLink(options), { autoAck: true, ...options }).#ready();
  }

  /** Connects to a supervisor serving a Unix socket (see startSocketSupervisor). */
  static async connect(socketPath: string, options: ClientOptions = {}): Promise<SupervisorExecutor> {
    return new SupervisorExecutor(socketLink(socketPath), { autoAck: false, ...options }).#ready();
  }

  launch(spec: LaunchSpec, events: LaunchEvents = {}): TaskHandle {
    // An http or sql task is done by the engine itself, in its own process: it has no process group to keep.
    const inProcess = launchInProcess(spec, events);
    if (inProcess) return inProcess;
    const cancel = (reason: string) => this.#send({ type: "cancel", id: spec.id, reason });
    const attempt = new RemoteAttempt(spec.id, events, cancel);
    if (this.#closedReason !== undefined) return this.#refused(attempt, this.#closedReason);
    if (this.#attempts.has(spec.id)) return this.#refused(attempt, `attempt ${spec.id} is already running`);
    this.#track(attempt);
    this.#send({ type: "launch", spec, ...(events.onLine !== undefined ? { lines: true } : {}) });
    return attempt;
  }

  traces(logFile: string): Promise<AttemptTraces> {
    return readAttemptRecords(logFile);
  }

  killOrphan(started: StartedRecord): boolean {
    return killIfStillItself(started);
  }

  /** Attempts the supervisor knows: running ones, and finished ones not yet acked (with their reports). */
  list(): Promise<KnownAttempt[]> {
    if (this.#closedReason !== undefined) return Promise.reject(new Error(this.#closedReason));
    return new Promise((resolve, reject) => {
      this.#listWaiters.push({ resolve, reject });
      this.#updateRef();
      this.#send({ type: "list" });
    });
  }

  /** A handle for an attempt an earlier client launched (found with list()), so its end is seen here. */
  adopt(id: string, events: LaunchEvents = {}): TaskHandle {
    const attempt = new RemoteAttempt(id, events, (reason) => this.#send({ type: "cancel", id, reason }));
    const report = this.#unclaimed.get(id);
    if (report !== undefined) {
      this.#unclaimed.delete(id);
      attempt.settle(report);
    } else if (this.#closedReason !== undefined) attempt.lose(this.#closedReason);
    else this.#track(attempt);
    return attempt;
  }

  /** With no client for `ms`, the supervisor cancels its running attempts (a worker's, which must not outlive its lease). */
  orphanGrace(ms: number): void {
    this.#send({ type: "orphan_grace", ms });
  }

  /** The result is recorded: the supervisor may forget it. */
  ack(id: string): void {
    this.#unclaimed.delete(id);
    this.#send({ type: "ack", id });
  }

  /** Cancels everything in the supervisor, waits for the reports, and for it to exit (stdio) or close the connection (socket). */
  async shutdown(reason = "canceled: executor shut down"): Promise<void> {
    if (this.#closedReason === undefined) {
      this.#shuttingDown = true;
      this.#updateRef();
      this.#send({ type: "shutdown", reason });
    }
    await this.#closed;
  }

  /** Leaves a socket supervisor running (its tasks go on); pending handles end as failed here. */
  async disconnect(): Promise<void> {
    this.#shuttingDown = true;
    this.#updateRef();
    this.#link.end();
    await this.#closed;
  }

  async #ready(): Promise<SupervisorExecutor> {
    const hello = await new Promise<Hello>((resolve, reject) => (this.#hello = { resolve, reject }));
    ({ pid: this.pid, startedAt: this.startedAt } = hello);
    if (hello.spawner !== undefined) this.spawner = { kind: hello.spawner, ...(hello.spawnerNote === undefined ? {} : { note: hello.spawnerNote }) };
    this.#hello = undefined;
    this.#updateRef();
    return this;
  }

  #track(attempt: RemoteAttempt): void {
    this.#attempts.set(attempt.id, attempt);
    if (this.#attempts.size === 1) this.#updateRef();
  }

  #refused(attempt: RemoteAttempt, reason: string): TaskHandle {
    attempt.lose(reason);
    return attempt;
  }

  #send(request: Request): void {
    if (this.#closedReason === undefined) this.#link.write(encode(request));
  }

  #receive(line: string): void {
    let event: SupervisorEvent;
    try {
      event = JSON.parse(line) as SupervisorEvent;
    } catch {
      return this.#protocolError(`not JSON: ${line.slice(0, 200)}`);
    }
    switch (event.type) {
      case "hello":
        return this.#hello?.resolve(event);
      case "started":
        return this.#attempts.get(event.id)?.started(event.pid, event.startedAt);
      case "progress":
        return this.#attempts.get(event.id)?.events.onProgress?.(event.done, event.total);
      case "line":
        return this.#attempts.get(event.id)?.events.onLine?.(event.line);
      case "done":
        return this.#done(event.id, event.report);
      case "list":
        return this.#listed(event.attempts);
      case "error":
        return this.#error(event.message, event.id);
    }
  }

  #done(id: string, report: AttemptReport): void {
    const attempt = this.#attempts.get(id);
    if (attempt === undefined) this.#unclaimed.set(id, report);
    else {
      this.#attempts.delete(id);
      attempt.settle(report);
      if (this.#attempts.size === 0) this.#updateRef();
    }
    if (this.#options.autoAck === true) this.#send({ type: "ack", id });
  }

  #listed(attempts: KnownAttempt[]): void {
    this.#listWaiters.shift()?.resolve(attempts);
    this.#updateRef();
  }

  #error(message: string, id: string | undefined): void {
    if (this.#hello !== undefined) return this.#hello.reject(new Error(`supervisor: ${message}`));
    const attempt = id !== undefined ? this.#attempts.get(id) : undefined;
    if (attempt === undefined || attempt.pid !== null) return this.#protocolError(message);
    // The supervisor refused this launch: it will send nothing more about it.
    this.#attempts.delete(attempt.id);
    attempt.lose(`supervisor refused the launch: ${message}`);
  }

  #protocolError(message: string): void {
    (this.#options.onProtocolError ?? ((text: string) => process.stderr.write(`spire: supervisor: ${text}\n`)))(message);
  }

  /** The wire closed: nothing more will come, so everything waiting ends now. */
  #lost(reason: string): void {
    this.#closedReason = reason;
    this.#hello?.reject(new Error(reason));
    for (const attempt of this.#attempts.values()) attempt.lose(reason);
    this.#attempts.clear();
    for (const waiter of this.#listWaiters.splice(0)) waiter.reject(new Error(reason));
  }

  /** The wire keeps this process alive only while something waits on the supervisor. */
  #updateRef(): void {
    if (this.#closedReason !== undefined) return;
    this.#link.setRef(this.#hello !== undefined || this.#shuttingDown || this.#attempts.size > 0 || this.#listWaiters.length > 0);
  }
}
