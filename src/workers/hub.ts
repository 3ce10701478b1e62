/**
 * The engine's workers: registration, the lease that says whether each is
 * still there, where attempts with `runs_on` go (Placement), and what their
 * reports change. A worker silent for longer than its lease is lost: its
 * attempts end as interrupted (the retry policy decides what follows, maybe
 * on another worker) and are fenced, so that if it comes back its late
 * reports are refused and it is told to stop them. Nothing of a worker's
 * is in the store: after an engine restart each worker registers again.
 */
import { hostname } from "node:os";
import { join, relative } from "node:path";
import type { LaunchEvents, LaunchSpec, Placed, Placement, TaskHandle } from "../exec/port.js";
import { ServiceError, type WorkerInfo } from "../engine/service.js";
import { LOCAL_LABEL } from "../engine/reads/local-worker.js";
import { LogCopy } from "./log-copy.js";
import { DEFAULT_WORKER_LEASE_MS, type RegisterRequest, type RegisterResponse, type ReportsRequest, type ReportsResponse } from "./protocol.js";
import { RemoteTask, RemoteWorker, interruptedReport, type Room } from "./remote-worker.js";
import { hasLabels } from "../plan/runs-on.js";

export interface WorkerHubOptions {
  /** The engine's data folder: copies of workers' logs go under it, at the paths the run records. */
  dataDir: string;
  leaseMs?: number;
  now?: () => number;
  /** Told when a worker is lost or comes (logs). */
  note?(message: string, details: object): void;
  /** Told when a worker registers, comes back or is lost, with what GET /workers shows of it. */
  changed?(worker: WorkerInfo): void;
  /** The name of the engine's own machine (GET /workers lists it; its tasks record it): no worker may take it. Default: the host name. */
  localName?: string;
}

interface Waiter {
  labels: readonly string[];
  need: { cpus: number; memoryBytes: number };
  resolve(placed: Placed): void;
  waiting(reason: string): void;
  lastReason?: string;
}

export class WorkerHub implements Placement {
  private readonly workers = new Map<string, RemoteWorker>();
  private readonly waiters = new Set<Waiter>();
  /** Attempts given up on (their worker was lost): a late report of one is refused, and its worker told to stop it. */
  private readonly fenced = new Set<string>();
  /** Attempts whose end is stored, by worker: told to it in the next answer. */
  private readonly toForget = new Map<string, Set<string>>();
  private readonly timer: NodeJS.Timeout;
  /** Attempts taken up after an engine restart, by worker, until it registers again (or its lease from our start lapses). */
  private readonly awaited = new Map<string, Map<string, { task: RemoteTask; need: { cpus: number; memoryBytes: number } }>>();
  private readonly startedAt: number;
  readonly leaseMs: number;
  private readonly now: () => number;

  constructor(private readonly options: WorkerHubOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_WORKER_LEASE_MS;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.timer = setInterval(() => this.checkLeases(), Math.min(1000, Math.max(50, this.leaseMs / 10)));
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  get heartbeatMs(): number {
    return Math.max(20, Math.min(5000, Math.floor(this.leaseMs / 4)));
  }

  /** `encrypted`: the request came over TLS (with `address`, whether secrets may go to this worker: see RemoteWorker.inClear). */
  register(request: RegisterRequest, address: string | null, encrypted = false): RegisterResponse {
    // `local` names the engine's own machine: a task with runs_on: [local] runs there, never on a worker.
    if (request.labels.includes(LOCAL_LABEL)) throw new ServiceError("conflict", `worker ${request.name}: the label ${LOCAL_LABEL} names the engine's own machine; give this worker labels of its own (--labels)`);
    // Two machines of one name: a task's record could not say which one ran it.
    if (request.name === (this.options.localName ?? hostname())) {
      throw new ServiceError("conflict", `worker ${request.name}: that is the name of the engine's own machine, which runs tasks too; give this worker a name of its own (spire worker --name NAME)`);
    }
    const now = this.now();
    let worker = this.workers.get(request.name);
    if (worker) {
      // The same name again: a restarted worker, or one whose connection broke. Its older session's reports are refused from now on.
      worker.registration = request;
      worker.address = address;
      worker.inClear = !encrypted && !isLoopbackAddress(address);
      worker.lastSeen = now;
      if (worker.state !== "connected") worker.connectedSince = now;
      worker.state = "connected";
      worker.newSession();
      worker.reassign(request.running);
    } else {
      worker = new RemoteWorker(request, now, address, (spec) => this.logCopyOf(worker!, spec));
      worker.inClear = !encrypted && !isLoopbackAddress(address);
      this.workers.set(request.name, worker);
    }
    this.takeUpAwaited(worker, request.running);
    this.options.note?.("a worker registered", { worker: request.name, labels: request.labels, address });
    this.options.changed?.(this.infoOf(worker));
    const stop = request.running.filter((id) => !worker!.tasks.has(id));
    queueMicrotask(() => this.offer());
    return { session: worker.session, lease_ms: this.leaseMs, heartbeat_ms: this.heartbeatMs, stop };
  }

  /** A registered worker, by its name and current session; refused (404, 409) otherwise. */
  worker(name: string, session: string): RemoteWorker {
    const worker = this.workers.get(name);
    if (!worker) throw new ServiceError("not_found", `no worker named ${JSON.stringify(name)} is registered: register first (POST /api/v1/workers/register)`);
    if (worker.session !== session) throw new ServiceError("conflict", `session ${JSON.stringify(session)} is not worker ${name}'s current one (it registered again since, or never had that session): register again`);
    return worker;
  }

  /** An attempt the worker runs now (its artifacts may come and go); refused for one it was given up on. */
  attempt(name: string, session: string, attemptId: string): RemoteTask {
    const task = this.worker(name, session).tasks.get(attemptId);
    if (!task || task.settled) throw new ServiceError("conflict", `attempt ${attemptId} is not running on worker ${name}: the engine gave it up (stop it)`);
    return task;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  async receive(name: string, request: ReportsRequest): Promise<ReportsResponse> {
    const worker = this.worker(name, request.session);
    worker.lastSeen = this.now();
    if (worker.state !== "connected") {
      worker.state = "connected";
      worker.connectedSince = worker.lastSeen;
    }
    const answer: ReportsResponse = { log_offsets: {}, recorded: [], stop: [] };
    const stop = new Set<string>();
    for (const report of request.reports) {
      const task = worker.tasks.get(report.attempt);
      if (task?.settled) continue; // its end is in: a repeat (the answer to the first was lost)
      if (!task) {
        stop.add(report.attempt);
        continue;
      }
      switch (report.kind) {
        case "started":
          task.pid = report.pid;
          task.startedAt = report.started_at;
          task.events.onStart?.(report.pid, report.started_at);
          break;
        case "progress":
          task.events.onProgress?.(report.done, report.total);
          break;
        case "log": {
          const onLine = task.events.onLine;
          for (const line of await task.log.append(report.offset, report.text, onLine !== undefined)) onLine?.(line);
          answer.log_offsets[report.attempt] = await task.log.size();
          break;
        }
        case "done": {
          const have = await task.log.size();
          // Its end is taken only with the whole log: else the worker sends the rest first.
          if (have < report.log_bytes) answer.log_offsets[report.attempt] = have;
          else task.settle(report.report);
          break;
        }
      }
    }
    for (const id of request.running) if (!worker.tasks.has(id) && !this.isForgettable(name, id)) stop.add(id);
    answer.stop = [...stop];
    const forget = this.toForget.get(name);
    if (forget) {
      answer.recorded = [...forget];
      this.toForget.delete(name);
    }
    return answer;
  }

  /** Its end is stored: the handle goes, and its worker is told it may forget the attempt. */
  recorded(attemptId: string): void {
    for (const worker of this.workers.values()) {
      if (!worker.tasks.delete(attemptId)) continue;
      let set = this.toForget.get(worker.name);
      if (!set) this.toForget.set(worker.name, (set = new Set()));
      remember(set, attemptId);
    }
  }

  adopt(worker: string, attemptId: string, logFile: string, events: LaunchEvents = {}, need = { cpus: 0, memoryBytes: 0 }): TaskHandle {
    let cancelReason: string | undefined;
    const task = new RemoteTask(attemptId, undefined, events, new LogCopy(logFile), (reason) => {
      const current = this.workers.get(worker);
      if (current?.tasks.get(attemptId) === task) current.assign({ type: "cancel", attempt: attemptId, reason });
      else cancelReason = reason;
    });
    const present = this.workers.get(worker);
    if (present && present.state === "connected") {
      // Registered again before its runs were resumed: it said what it runs then.
      if (present.registration.running.includes(attemptId)) this.takeUp(present, task, need);
      else task.settle(interruptedReport(`worker ${worker} came back without it`, null, this.now(), this.now()));
      return task;
    }
    let waiting = this.awaited.get(worker);
    if (!waiting) this.awaited.set(worker, (waiting = new Map()));
    waiting.set(attemptId, { task, need });
    void task.done.then(() => waiting!.delete(attemptId));
    task.pendingCancel = () => cancelReason;
    return task;
  }

  place(labels: readonly string[], need: { cpus: number; memoryBytes: number }, options: { signal: AbortSignal; waiting(reason: string): void }): Promise<Placed> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { labels, need, resolve, waiting: options.waiting };
      const abort = () => {
        this.waiters.delete(waiter);
        reject(options.signal.reason instanceof Error ? options.signal.reason : new Error(String(options.signal.reason)));
      };
      if (options.signal.aborted) return abort();
      options.signal.addEventListener("abort", abort, { once: true });
      waiter.resolve = (placed) => {
        options.signal.removeEventListener("abort", abort);
        resolve(placed);
      };
      if (!this.tryPlace(waiter)) this.waiters.add(waiter);
    });
  }

  list(): RemoteWorker[] {
    return [...this.workers.values()];
  }

  /** The workers as GET /workers shows them. */
  info(): WorkerInfo[] {
    return this.list().map((worker) => this.infoOf(worker));
  }

  private infoOf(worker: RemoteWorker): WorkerInfo {
    const iso = (ms: number) => new Date(ms).toISOString();
    const { registration: r, inUse } = worker;
    return {
      name: r.name,
      labels: r.labels,
      local: false,
      state: worker.state,
      version: r.version,
      host: r.host,
      address: worker.address,
      capacity: { tasks: r.tasks, cpus: r.cpus, memory_bytes: r.memory_bytes },
      in_use: { tasks: inUse.tasks, cpus: inUse.cpus, memory_bytes: inUse.memoryBytes },
      last_seen: iso(worker.lastSeen),
      connected_since: worker.state === "connected" ? iso(worker.connectedSince) : null,
    };
  }

  /** Places whoever waits and now fits (oldest first). */
  private offer(): void {
    for (const waiter of this.waiters) if (this.tryPlace(waiter)) this.waiters.delete(waiter);
  }

  private tryPlace(waiter: Waiter): boolean {
    const able = [...this.workers.values()].filter((worker) => worker.state === "connected" && hasLabels(worker.registration.labels, waiter.labels));
    const roomy = able.filter((worker) => fits(worker.inUse, worker.capacity, waiter.need));
    // The least busy of those with room: work spreads over the machines that can take it.
    const chosen = roomy.sort((a, b) => a.inUse.tasks / a.capacity.tasks - b.inUse.tasks / b.capacity.tasks)[0];
    if (!chosen) {
      const reason = whyWaiting(waiter, able);
      if (reason !== waiter.lastReason) {
        waiter.lastReason = reason;
        waiter.waiting(reason);
      }
      return false;
    }
    const taken: Room = { tasks: 1, cpus: waiter.need.cpus, memoryBytes: waiter.need.memoryBytes };
    add(chosen.inUse, taken, 1);
    let released = false;
    waiter.resolve({
      machine: chosen.machine,
      executor: chosen,
      release: () => {
        if (released) return;
        released = true;
        add(chosen.inUse, taken, -1);
        this.offer();
      },
    });
    return true;
  }

  /** An attempt it ran while the engine was down is its own again, and takes its room until it ends. */
  private takeUp(worker: RemoteWorker, task: RemoteTask, need: { cpus: number; memoryBytes: number }): void {
    worker.adopt(task);
    const taken: Room = { tasks: 1, cpus: need.cpus, memoryBytes: need.memoryBytes };
    add(worker.inUse, taken, 1);
    void task.done.then(() => {
      add(worker.inUse, taken, -1);
      this.offer();
    });
  }

  /** A worker registered: the attempts an earlier engine left on it are its own again, or interrupted if it no longer runs them. */
  private takeUpAwaited(worker: RemoteWorker, running: readonly string[]): void {
    const waiting = this.awaited.get(worker.name);
    if (!waiting) return;
    this.awaited.delete(worker.name);
    const now = this.now();
    for (const [id, { task, need }] of waiting) {
      if (!running.includes(id)) {
        task.settle(interruptedReport(`worker ${worker.name} came back without it (the engine restarted meanwhile)`, null, now, now));
        continue;
      }
      this.takeUp(worker, task, need);
      const reason = task.pendingCancel?.();
      if (reason !== undefined) worker.assign({ type: "cancel", attempt: id, reason });
    }
  }

  private checkLeases(): void {
    const now = this.now();
    // Attempts of workers that never came back after the engine restarted: lost, as a silent worker's are.
    if (now - this.startedAt > this.leaseMs) {
      for (const [name, waiting] of this.awaited) {
        for (const [id, { task }] of waiting) {
          task.settle(interruptedReport(`worker ${name} was lost: it did not come back within its lease (${this.leaseMs / 1000} s) after the engine restarted`, null, now, now));
          remember(this.fenced, id);
        }
        this.awaited.delete(name);
      }
    }
    for (const worker of this.workers.values()) {
      if (worker.state !== "connected" || now - worker.lastSeen <= this.leaseMs) continue;
      worker.state = "lost";
      const reason = `worker ${worker.name} was lost: nothing heard from it for ${Math.round((now - worker.lastSeen) / 1000)} s (its lease is ${this.leaseMs / 1000} s)`;
      for (const id of worker.loseAll(reason, now)) remember(this.fenced, id);
      this.options.note?.("a worker was lost", { worker: worker.name, reason });
      this.options.changed?.(this.infoOf(worker));
    }
  }

  private isForgettable(name: string, attemptId: string): boolean {
    return this.toForget.get(name)?.has(attemptId) === true && !this.fenced.has(attemptId);
  }

  /** The engine's copy of the log a worker writes: the same place under the engine's data folder as under the worker's. */
  private logCopyOf(worker: RemoteWorker, spec: LaunchSpec): LogCopy {
    const inside = relative(worker.registration.data_dir, spec.logFile);
    return new LogCopy(join(this.options.dataDir, inside));
  }
}

/**
 * The most attempt ids kept in a set that grows for as long as the engine
 * runs (fenced attempts; ends a worker that never comes back was not yet
 * told of). The oldest go first: a worker returning after that many others
 * were fenced is a case not worth unbounded memory.
 */
const REMEMBERED = 50_000;

function remember(set: Set<string>, id: string): void {
  set.add(id);
  if (set.size > REMEMBERED) set.delete(set.values().next().value!);
}

/** A peer on this machine: 127.0.0.0/8 or ::1, also as an IPv4-mapped IPv6 address. An unknown one is not. */
function isLoopbackAddress(address: string | null): boolean {
  if (address === null) return false;
  const bare = address.replace(/^::ffff:/i, "");
  return bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

function fits(inUse: Room, capacity: Room, need: { cpus: number; memoryBytes: number }): boolean {
  return inUse.tasks + 1 <= capacity.tasks && inUse.cpus + need.cpus <= capacity.cpus && inUse.memoryBytes + need.memoryBytes <= capacity.memoryBytes;
}

function add(room: Room, delta: Room, sign: 1 | -1): void {
  room.tasks += sign * delta.tasks;
  room.cpus += sign * delta.cpus;
  room.memoryBytes += sign * delta.memoryBytes;
}

function whyWaiting(waiter: Waiter, able: RemoteWorker[]): string {
  const labels = waiter.labels.join(", ");
  if (able.length === 0) return `waiting for a worker with labels ${labels}: none is connected`;
  const big = able.every((worker) => waiter.need.cpus > worker.capacity.cpus || waiter.need.memoryBytes > worker.capacity.memoryBytes);
  if (big) return `waiting for a worker with labels ${labels} and room for ${waiter.need.cpus} cpus and ${waiter.need.memoryBytes} bytes of memory: none of those connected has that much`;
  return `waiting for room on a worker with labels ${labels}: ${able.map((worker) => `${worker.name} runs ${worker.inUse.tasks} of ${worker.capacity.tasks}`).join(", ")}`;
}

export { interruptedReport };
