/**
 * The supervisor's core, apart from any transport: it hosts one
 * LocalExecutor, turns requests into launches and cancels, and events into
 * messages for whichever client is attached (if any).
 *
 * Write-ahead on disk: a started record right after the spawn, and the
 * report as a result record before `done` is sent (attempt-files.ts), so nobody is told a
 * result that a crash could still lose. Reports stay in memory until the
 * client acks them, and are sent again on `list` (a client that reconnects
 * collects what finished while it was away).
 */
import type { AttemptReport, LaunchEvents, LaunchSpec, TaskHandle } from "../port.js";
import { LocalExecutor } from "../local-executor.js";
import { defaultSpawner } from "../spawner/index.js";
import { appendRecord, pidStartTime, type StartedRecord } from "./attempt-files.js";
import { encode, parseRequest, type KnownAttempt, type Request, type SupervisorEvent } from "./protocol.js";

/** Where events go: the attached client's connection. */
export interface Peer {
  send(text: string): void;
}

interface Entry {
  handle: TaskHandle;
  logFile: string;
  pid: number | null;
  startedAt: number;
  report: AttemptReport | undefined;
}

export interface SupervisorOptions {
  /** A client asked for shutdown: the transport ends everything (it calls shutdown()) and exits. */
  onShutdownRequest(reason: string): void;
  /** The number of running attempts changed (the socket transport's idle clock). */
  onActivity?(): void;
  /** Problems nobody asked about (a result file that could not be written): stderr by default. */
  warn?(message: string): void;
}

export class Supervisor {
  readonly #executor = new LocalExecutor();
  readonly #attempts = new Map<string, Entry>();
  readonly #finishing = new Set<Promise<void>>();
  readonly #options: SupervisorOptions;
  readonly #startedAt = Date.now();
  #peer: Peer | undefined;
  #running = 0;
  #orphanGraceMs: number | undefined;
  #orphanTimer: NodeJS.Timeout | undefined;

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  get runningCount(): number {
    return this.#running;
  }

  get hasPeer(): boolean {
    return this.#peer !== undefined;
  }

  attach(peer: Peer): void {
    this.#peer = peer;
    if (this.#orphanTimer) clearTimeout(this.#orphanTimer);
    this.#orphanTimer = undefined;
    const { spawner, note } = defaultSpawner();
    this.#send({ type: "hello", pid: process.pid, startedAt: this.#startedAt, spawner: spawner.kind, ...(note === undefined ? {} : { spawnerNote: note }) });
  }

  /** Attempts go on without a client; their events are dropped and their reports kept. */
  detach(peer: Peer): void {
    if (this.#peer !== peer) return;
    this.#peer = undefined;
    const grace = this.#orphanGraceMs;
    if (grace === undefined) return;
    // A worker's client is gone: its engine will give these attempts to others once the lease lapses, so they stop first.
    this.#orphanTimer = setTimeout(() => {
      for (const entry of this.#attempts.values()) {
        if (entry.report === undefined) entry.handle.cancel(`canceled: its worker was gone for ${Math.round(grace / 1000)} s, and the engine gives its tasks to others once its lease lapses`);
      }
    }, grace);
    this.#orphanTimer.unref();
  }

  /** One line from the client. Never throws: a bad request gets an `error` event. */
  receive(line: string): void {
    const request = parseRequest(line);
    if ("problem" in request) return this.#send({ type: "error", message: request.problem });
    try {
      this.#dispatch(request);
    } catch (error) {
      this.#send({ type: "error", message: `${request.type}: ${(error as Error).message}` });
    }
  }

  /** Cancels every attempt (TERM, KILL after each one's grace), and resolves once all are gone and their reports written and sent. */
  async shutdown(reason: string): Promise<void> {
    await this.#executor.shutdown(reason);
    while (this.#finishing.size > 0) await Promise.all(this.#finishing);
  }

  #dispatch(request: Request): void {
    switch (request.type) {
      case "launch":
        return this.#launch(request.spec, request.lines === true);
      case "cancel":
        // Unknown or finished: a cancel that crossed the `done` on the wire; nothing to do.
        return this.#attempts.get(request.id)?.handle.cancel(request.reason);
      case "list":
        return this.#send({ type: "list", attempts: this.#list() });
      case "ack":
        if (this.#attempts.get(request.id)?.report !== undefined) this.#attempts.delete(request.id);
        return;
      case "shutdown":
        return this.#options.onShutdownRequest(request.reason);
      case "orphan_grace":
        this.#orphanGraceMs = request.ms;
        return;
    }
  }

  #launch(spec: LaunchSpec, lines: boolean): void {
    if (this.#attempts.has(spec.id)) {
      return this.#send({ type: "error", id: spec.id, message: `launch: attempt ${spec.id} is already known (running, or finished and not acked)` });
    }
    const { id } = spec;
    const events: LaunchEvents = {
      onStart: (pid, startedAt) => this.#started(id, pid, startedAt),
      onProgress: (done, total) => this.#send({ type: "progress", id, done, total }),
    };
    if (lines) events.onLine = (line) => this.#send({ type: "line", id, line });
    const entry: Entry = { handle: this.#executor.launch(spec, events), logFile: spec.logFile, pid: null, startedAt: Date.now(), report: undefined };
    this.#attempts.set(id, entry);
    this.#running++;
    const finishing = entry.handle.done.then((report) => this.#finished(id, entry, report));
    this.#finishing.add(finishing);
    void finishing.finally(() => this.#finishing.delete(finishing));
  }

  #started(id: string, pid: number, startedAt: number): void {
    const entry = this.#attempts.get(id);
    if (entry === undefined) return;
    entry.pid = pid;
    entry.startedAt = startedAt;
    const record: StartedRecord = { pid, startedAt, pidStartTime: pidStartTime(pid) };
    try {
      appendRecord(entry.logFile, { started: record });
    } catch (error) {
      this.#warn(`attempt ${id}: started record not written: ${(error as Error).message}`);
    }
    this.#send({ type: "started", id, pid, startedAt });
  }

  #finished(id: string, entry: Entry, report: AttemptReport): void {
    // Both records are written synchronously, so a result never comes before its started record.
    try {
      appendRecord(entry.logFile, { result: report });
    } catch (error) {
      this.#warn(`attempt ${id}: result not written: ${(error as Error).message}`);
    }
    entry.report = report;
    this.#running--;
    this.#send({ type: "done", id, report });
    this.#options.onActivity?.();
  }

  #list(): KnownAttempt[] {
    const attempts: KnownAttempt[] = [];
    for (const [id, entry] of this.#attempts) {
      if (entry.report !== undefined) attempts.push({ id, state: "finished", report: entry.report });
      else attempts.push({ id, state: "running", pid: entry.pid, startedAt: entry.startedAt });
    }
    return attempts;
  }

  #send(event: SupervisorEvent): void {
    this.#peer?.send(encode(event));
  }

  #warn(message: string): void {
    (this.#options.warn ?? ((text: string) => process.stderr.write(`spire supervisor: ${text}\n`)))(message);
  }
}
