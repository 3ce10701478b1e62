/**
 * `spire worker`: runs the attempts its engine assigns it under its own
 * supervisor (so they outlive this process, as an engine's outlive the
 * engine), and reports what they do. The log file on this machine is the
 * buffer: what the engine has not confirmed is read again from it and sent
 * when the engine answers, so a link cut for a while loses nothing, and a
 * range sent twice is dropped by the engine. An attempt is forgotten (its
 * report acked to the supervisor) only once the engine says its end is
 * recorded.
 *
 * Fencing: the engine gives a silent worker's attempts to others once its
 * lease lapses. So a worker that has not heard from the engine for most of
 * a lease stops its attempts itself (they end as interrupted), and its
 * supervisor does the same when the worker process itself is gone for that
 * long: a task never runs here and elsewhere at once.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { appendFile, open, stat } from "node:fs/promises";
import { formatLogLine } from "../logs/log-file.js";
import { fetchInputs, sendArtifacts, type ArtifactContext } from "./artifacts.js";
import { join } from "node:path";
import type { Logger } from "pino";
import type { AttemptReport, KnownAttempt, LaunchSpec, TaskHandle } from "../exec/port.js";
import type { SupervisorExecutor } from "../exec/supervisor/client.js";
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "../files/private.js";
import type { Assignment, RegisterRequest, Report } from "../workers/protocol.js";
import { EngineRefused, EngineUntrusted, type EngineLink } from "./engine-link.js";
import type { ConnectionRecorder } from "./connection-record.js";
import { READ_WITHOUT_WAITING } from "../files/regular-file.js";

/** Where an attempt's artifacts are: its own folder ($SPIRE_ARTIFACTS) and what its patterns match in its cwd. */
interface Keep {
  own?: string;
  cwd: string;
  patterns: string[];
}

/** What this worker keeps on disk for each attempt it runs, to take it up again after its own restart. */
interface AttemptRecord {
  logFile: string;
  keep?: Keep;
}

const keepOf = (spec: LaunchSpec): Keep => ({ cwd: spec.cwd, patterns: spec.artifacts?.patterns ?? [], ...(spec.env.SPIRE_ARTIFACTS ? { own: spec.env.SPIRE_ARTIFACTS } : {}) });

/**
 * The most log bytes sent in one report: whole lines, and a line is far
 * shorter (capture cuts at 64 KiB of text). The file's lines are JSON, so
 * the report's own escaping at most doubles them: well under the 5 MiB body limit.
 */
const MAX_CHUNK_BYTES = 2 * 1024 * 1024;
/** Reports go this soon after something happens (a line, a start, an end): batched, but quick. */
const REPORT_DELAY_MS = 10;

export interface AgentOptions {
  link: EngineLink;
  supervisor: SupervisorExecutor;
  logger: Logger;
  /** What it registers with (running is filled in here). */
  registration: Omit<RegisterRequest, "running">;
  /** Variables the tasks must not inherit from the worker (its own token). */
  withheld: readonly string[];
  /** Where it keeps what it knows of its engine, for `spire service status --worker`. */
  connection?: ConnectionRecorder;
}

interface Tracked {
  id: string;
  logFile: string;
  handle: TaskHandle;
  /** Log bytes the engine has. */
  shipped: number;
  started?: { pid: number; at: number };
  startedSent: boolean;
  progress?: { done: number; total: number };
  progressSent: boolean;
  report?: AttemptReport;
  stopping: boolean;
  /** Why this worker stopped it itself (the engine was silent for most of a lease). */
  fenced?: string;
  /** What to send to the engine when it ends (kept in its record, so an attempt taken up after a restart sends it too). */
  keep?: Keep;
  /** Its artifacts are with the engine (or it has none): its end may be reported. */
  sent: boolean;
  watcher?: { close(): void };
}

export class WorkerAgent {
  private readonly attempts = new Map<string, Tracked>();
  /** Attempts fetching their inputs before they start, with why they were canceled meanwhile (if they were). */
  private readonly preparing = new Map<string, string | undefined>();
  private readonly recordsDir: string;
  private session: string | undefined;
  private heartbeatMs = 5000;
  private flushing: Promise<void> | undefined;
  /** Asked for while a report was under way: the delay of the next one. */
  private again: number | undefined;
  /** Cuts short the batching delay of the report about to go. */
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** When the engine last answered. */
  private lastContact = Date.now();
  /** Silence after which this worker stops its attempts (undefined until the engine says its lease). */
  private fenceMs: number | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  /** The engine refused this worker's registration itself (not its token, not the network): it stops with the engine's words. */
  private registrationRefused = false;

  constructor(private readonly options: AgentOptions) {
    this.recordsDir = join(options.registration.data_dir, "attempts");
    mkdirSync(this.recordsDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  }

  /** Takes up what the supervisor still runs or holds (after a restart of this worker), then serves the engine until stop(). */
  async run(): Promise<void> {
    await this.adoptLeftovers();
    const { connection } = this.options;
    connection?.record("connecting");
    let delay = 500;
    while (!this.stopped) {
      try {
        await this.serveOnce();
        delay = 500;
      } catch (error) {
        if (this.stopped) break;
        if ((error instanceof EngineRefused && (error.status === 401 || error.status === 403)) || error instanceof EngineUntrusted || this.registrationRefused) {
          connection?.record("refused", (error as Error).message);
          throw error;
        }
        connection?.record("unreachable", (error as Error).message);
        this.options.logger.warn({ error: (error as Error).message, retry_ms: delay }, "the engine cannot be reached: tasks go on, and what they do is sent once it answers");
      }
      if (this.stopped) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
    connection?.record("stopped");
  }

  /** Stops serving: the tasks go on under the supervisor; a worker started again takes them up. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    if (this.fenceTimer) clearInterval(this.fenceTimer);
  }

  private async serveOnce(): Promise<void> {
    const { link, registration, logger } = this.options;
    const answer = await link.register({ ...registration, running: [...this.attempts.keys()] }, this.abort.signal).catch((error: unknown) => {
      // The engine read the registration and refused it (a name it will not take): asking again would not change its answer.
      if (error instanceof EngineRefused && (error.status === 400 || error.status === 409)) this.registrationRefused = true;
      throw error;
    });
    this.session = answer.session;
    this.heartbeatMs = answer.heartbeat_ms;
    this.lastContact = Date.now();
    this.fenceMs = Math.max(answer.lease_ms - Math.max(2 * answer.heartbeat_ms, answer.lease_ms / 5), answer.lease_ms / 2);
    this.options.supervisor.orphanGrace(this.fenceMs);
    this.fenceTimer ??= setInterval(() => this.fenceIfSilent(), 250);
    logger.info({ engine: "connected", lease_ms: answer.lease_ms, running: this.attempts.size }, "registered with the engine");
    this.options.connection?.record("registered");
    for (const id of answer.stop) this.stopAttempt(id, "the engine no longer wants it");
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.flushSoon(0), this.heartbeatMs);
    this.flushSoon(0);
    try {
      await link.assignments(registration.name, answer.session, (assignment) => this.take(assignment), this.abort.signal, 3 * answer.heartbeat_ms);
    } finally {
      this.session = undefined;
      if (this.timer) clearInterval(this.timer);
    }
    if (!this.stopped) logger.warn({}, "the engine closed the assignment stream: registering again");
  }

  /** The engine silent for most of a lease: it will soon give these attempts to others, so they stop here first. */
  private fenceIfSilent(): void {
    if (this.fenceMs === undefined) return;
    const silent = Date.now() - this.lastContact;
    if (silent < this.fenceMs) return;
    for (const tracked of this.attempts.values()) {
      if (tracked.report || tracked.fenced || tracked.stopping) continue;
      tracked.fenced = `stopped by worker ${this.options.registration.name}: the engine was not heard from for ${Math.round(silent / 1000)} s, and it gives a silent worker's tasks to others`;
      this.options.logger.warn({ attempt: tracked.id, silent_ms: silent }, "stopping an attempt: the engine is silent for most of the lease");
      tracked.handle.cancel(tracked.fenced);
    }
  }

  private take(assignment: Assignment): void {
    switch (assignment.type) {
      case "launch":
        return this.launch(assignment.attempt, assignment.spec);
      case "cancel":
        if (this.preparing.has(assignment.attempt)) return void this.preparing.set(assignment.attempt, assignment.reason);
        return this.attempts.get(assignment.attempt)?.handle.cancel(assignment.reason);
      case "stop":
        return this.stopAttempt(assignment.attempt, assignment.reason);
    }
  }

  private launch(id: string, spec: LaunchSpec): void {
    if (this.attempts.has(id) || this.preparing.has(id)) return; // sent again after a reconnect
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !this.options.withheld.includes(key)) env[key] = value;
    const localSpec: LaunchSpec = { ...spec, env: { ...env, ...spec.env } };
    const keep = keepOf(spec);
    const record: AttemptRecord = { logFile: spec.logFile, keep };
    writeFileSync(this.recordFile(id), JSON.stringify(record), { mode: PRIVATE_FILE_MODE });
    // Its own artifact folder exists before it starts, as on the engine's machine: $SPIRE_ARTIFACTS/../<task> must resolve.
    if (spec.env.SPIRE_ARTIFACTS) mkdirSync(spec.env.SPIRE_ARTIFACTS, { recursive: true, mode: PRIVATE_DIR_MODE });
    const inputs = spec.artifacts?.inputs ?? [];
    if (inputs.length === 0 && spec.artifacts?.layout === undefined) return void this.start(id, localSpec, keep);
    // What it depends on kept artifacts: they are here, set out as on the engine's machine, before it starts.
    this.preparing.set(id, undefined);
    void fetchInputs(this.artifactContext, id, spec.artifacts?.layout, inputs.length > 0).then(
      () => {
        const canceled = this.preparing.get(id);
        this.preparing.delete(id);
        if (canceled === undefined) this.start(id, localSpec, keep);
        else this.endUnstarted(id, localSpec, "canceled", canceled);
      },
      (error: Error) => {
        this.preparing.delete(id);
        this.endUnstarted(id, localSpec, "failed", `not started: the artifacts it reads could not be fetched from the engine: ${error.message}`);
      },
    );
  }

  private start(id: string, spec: LaunchSpec, keep: Keep): void {
    this.track(id, spec.logFile, (events) => this.options.supervisor.launch(spec, events), keep);
    this.options.logger.info({ attempt: id, argv0: spec.argv[0] }, "attempt launched");
  }

  /** An attempt that ends before its process starts: its end is reported like any other. */
  private endUnstarted(id: string, spec: LaunchSpec, state: "failed" | "canceled", reason: string): void {
    const now = Date.now();
    const report: AttemptReport = { state, exitCode: null, signal: null, reason, pid: null, startedAt: now, finishedAt: now, warnings: 0, errors: 0, metrics: {}, outputs: {}, tail: [] };
    this.track(id, spec.logFile, () => ({ id, cancel() {}, done: Promise.resolve(report) }));
  }

  private get artifactContext(): ArtifactContext {
    return { link: this.options.link, worker: this.options.registration.name, session: () => this.session, dataDir: this.options.registration.data_dir };
  }

  /** Sends the attempt's artifacts (trying again while the engine is away); what was not kept is said in its log. */
  private async sendArtifacts(tracked: Tracked): Promise<void> {
    const keep = tracked.keep;
    if (keep === undefined || (keep.patterns.length === 0 && keep.own === undefined) || tracked.report?.pid == null) return;
    for (let tries = 0; !tracked.stopping; tries++) {
      try {
        const said = await sendArtifacts(this.artifactContext, tracked.id, keep.own, keep.cwd, keep.patterns);
        if (said.length > 0) await appendFile(tracked.logFile, said.map((line) => formatLogLine(Date.now(), "stderr", `spire: ${line}`)).join(""), { mode: PRIVATE_FILE_MODE });
        return;
      } catch (error) {
        this.options.logger.warn({ attempt: tracked.id, error: (error as Error).message }, "artifacts not sent yet: trying again");
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** tries)));
      }
    }
  }

  private track(id: string, logFile: string, start: (events: Parameters<SupervisorExecutor["launch"]>[1]) => TaskHandle, keep?: Keep): Tracked {
    const tracked: Tracked = { id, logFile, handle: undefined as unknown as TaskHandle, shipped: 0, startedSent: false, progressSent: false, stopping: false, sent: false, ...(keep ? { keep } : {}) };
    this.attempts.set(id, tracked);
    tracked.handle = start({
      onStart: (pid, at) => {
        tracked.started = { pid, at };
        this.flushSoon();
      },
      onProgress: (done, total) => {
        tracked.progress = { done, total };
        tracked.progressSent = false;
        this.flushSoon();
      },
    });
    // The log file is the buffer: its growth, not each line crossing the supervisor's socket, says there is more to send.
    tracked.watcher = watchGrowth(logFile, () => this.flushSoon());
    void tracked.handle.done.then(async (report) => {
      // Stopped for fencing: nobody saw how it would have ended; the engine's retry policy decides.
      tracked.report = tracked.fenced ? { ...report, state: "interrupted", reason: tracked.fenced } : report;
      tracked.watcher?.close();
      if (tracked.stopping) return this.forget(id);
      await this.sendArtifacts(tracked);
      tracked.sent = true;
      this.flushSoon(0);
    });
    return tracked;
  }

  private stopAttempt(id: string, reason: string): void {
    if (this.preparing.has(id)) return void this.preparing.set(id, `stopped: ${reason}`);
    const tracked = this.attempts.get(id);
    if (!tracked) return;
    this.options.logger.warn({ attempt: id, reason }, "stopping an attempt the engine gave up");
    tracked.stopping = true;
    if (tracked.report) this.forget(id);
    else tracked.handle.cancel(`stopped: ${reason}`);
  }

  private forget(id: string): void {
    this.attempts.get(id)?.watcher?.close();
    this.attempts.delete(id);
    this.options.supervisor.ack(id);
    rmSync(this.recordFile(id), { force: true });
  }

  /** What the supervisor still runs or holds from before this process: tracked again, so their logs and ends reach the engine. */
  private async adoptLeftovers(): Promise<void> {
    const known = new Map<string, KnownAttempt>((await this.options.supervisor.list()).map((attempt) => [attempt.id, attempt]));
    for (const file of readdirSync(this.recordsDir)) {
      const id = Buffer.from(file.replace(/\.json$/, ""), "base64url").toString("utf8");
      let record: AttemptRecord;
      try {
        record = JSON.parse(readFileSync(join(this.recordsDir, file), "utf8")) as AttemptRecord;
      } catch {
        rmSync(join(this.recordsDir, file), { force: true });
        continue;
      }
      if (!known.has(id)) {
        rmSync(join(this.recordsDir, file), { force: true });
        continue;
      }
      this.track(id, record.logFile, (events) => this.options.supervisor.adopt(id, events), record.keep);
      known.delete(id);
    }
    // Held by the supervisor but unknown here: nobody can say where their log is; let them go.
    for (const [id, attempt] of known) {
      if (attempt.state === "running") this.options.supervisor.adopt(id).cancel("canceled: the worker has no record of this attempt");
      this.options.supervisor.ack(id);
    }
  }

  private recordFile(id: string): string {
    return join(this.recordsDir, `${Buffer.from(id, "utf8").toString("base64url")}.json`);
  }

  private flushSoon(delay = REPORT_DELAY_MS): void {
    if (this.flushing) {
      // An end or more of a log (delay 0) does not wait out a batching delay under way.
      if (delay === 0 && this.wake) this.wake();
      else this.again = Math.min(this.again ?? delay, delay);
      return;
    }
    this.flushing = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    })
      .then(() => {
        this.wake = undefined;
        return this.flush();
      })
      .catch((error: Error) => this.options.logger.warn({ error: error.message }, "a report did not reach the engine: it is sent again"))
      .finally(() => {
        this.flushing = undefined;
        const again = this.again;
        this.again = undefined;
        if (again !== undefined) this.flushSoon(again);
      });
  }

  private async flush(): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    const reports: Report[] = [];
    let more = false;
    for (const tracked of this.attempts.values()) {
      if (tracked.stopping) continue;
      if (tracked.started && !tracked.startedSent) reports.push({ attempt: tracked.id, kind: "started", pid: tracked.started.pid, started_at: tracked.started.at });
      if (tracked.progress && !tracked.progressSent) reports.push({ attempt: tracked.id, kind: "progress", ...tracked.progress });
      const report = tracked.report;
      const chunk = await readChunk(tracked.logFile, tracked.shipped);
      if (chunk.text !== "") reports.push({ attempt: tracked.id, kind: "log", offset: tracked.shipped, text: chunk.text });
      if (chunk.more) more = true;
      else if (report && tracked.sent) reports.push({ attempt: tracked.id, kind: "done", report, log_bytes: chunk.size });
    }
    const sent = reports;
    const answer = await this.options.link.reports(this.options.registration.name, { session, reports: sent, running: [...this.attempts.keys()] }, this.abort.signal);
    this.lastContact = Date.now();
    for (const report of sent) {
      const tracked = this.attempts.get(report.attempt);
      if (!tracked) continue;
      if (report.kind === "started") tracked.startedSent = true;
      if (report.kind === "progress") tracked.progressSent = true;
    }
    for (const [id, offset] of Object.entries(answer.log_offsets)) {
      const tracked = this.attempts.get(id);
      if (tracked) tracked.shipped = offset;
    }
    for (const id of answer.recorded) if (this.attempts.get(id)?.report) this.forget(id);
    for (const id of answer.stop) this.stopAttempt(id, "the engine no longer wants it");
    // More of a log is waiting: send on at once, without the batching delay.
    if (more) this.again = 0;
  }
}

/** Whole lines of `file` from `offset`, at most MAX_CHUNK_BYTES (one longer line alone); `more` when the file holds whole lines beyond. */
async function readChunk(file: string, offset: number): Promise<{ text: string; size: number; more: boolean }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { text: "", size: 0, more: false };
  }
  if (size <= offset) return { text: "", size, more: false };
  const length = Math.min(size - offset, MAX_CHUNK_BYTES);
  const handle = await open(file, READ_WITHOUT_WAITING);
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    const end = buffer.subarray(0, bytesRead).lastIndexOf(10);
    if (end < 0) return { text: "", size, more: false };
    const text = buffer.toString("utf8", 0, end + 1);
    return { text, size, more: bytesRead === MAX_CHUNK_BYTES && offset + end + 1 < size };
  } finally {
    await handle.close();
  }
}

/** Calls `grew` when the file changes; a file not there yet is watched once it is (the supervisor makes it as the attempt starts). */
function watchGrowth(file: string, grew: () => void): { close(): void } {
  let watcher: FSWatcher | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let wait = 10;
  const begin = () => {
    if (closed) return;
    try {
      watcher = watch(file, { persistent: false }, grew);
      watcher.on("error", () => watcher?.close());
      grew();
    } catch {
      retry = setTimeout(begin, (wait = Math.min(2 * wait, 1000)));
    }
  };
  begin();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      watcher?.close();
    },
  };
}
