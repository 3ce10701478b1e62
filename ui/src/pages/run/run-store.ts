/**
 * One run, kept current: the run object, its definition, its artifacts and
 * every attempt, live while it runs.
 *
 * Live: events of this run from the engine-wide stream patch task states at
 * once (so the graph moves with the engine), and the run object is asked
 * again at most every 250 ms while they arrive, slower when the engine is
 * slow to answer; run.finished asks at once. Patches older than the answer
 * are dropped. States are handed to the graph as a Map whose entries keep
 * their identity while unchanged, so a thousand changes a second redraw
 * only the boxes that changed, and never re-lay the graph out.
 */
import { batch, signal } from "@preact/signals";
import { messageOf } from "../../api/api-error";
import { getRun } from "../../api/runs";
import type { Run, TaskState } from "../../api/types";
import type { NodeStatus } from "../../graph/summary";
import type { LiveBatch, RunEvent } from "../../live/types";
import { listArtifacts, getRunDefinition, readRunEvents, type Artifact } from "./api";
import { AttemptLog } from "./attempts";

const MIN_REFRESH_MS = 250;
const ARTIFACTS_REFRESH_MS = 2_000;
const ATTEMPTS_NOTIFY_MS = 200;

interface Patch {
  seq: number;
  state: TaskState;
  attempts?: number;
}

export class RunStore {
  readonly run = signal<Run | undefined>(undefined);
  readonly loadError = signal<unknown>(undefined);
  /** A later refresh failed: what is shown may be behind. */
  readonly refreshError = signal<string | null>(null);
  readonly definition = signal<Record<string, unknown> | undefined>(undefined);
  readonly definitionError = signal<unknown>(undefined);
  readonly artifacts = signal<Artifact[] | undefined>(undefined);
  readonly artifactsError = signal<string | null>(null);
  readonly statuses = signal<ReadonlyMap<string, NodeStatus>>(new Map());
  /** Bumped when the attempt log changed (at most every 200 ms). */
  readonly attemptsVersion = signal(0);
  readonly historyError = signal<string | null>(null);
  readonly log = new AttemptLog();

  private readonly abort = new AbortController();
  private readonly patches = new Map<string, Patch>();
  private statusCache = new Map<string, { key: string; status: NodeStatus }>();
  private maxSeq = 0;
  private inFlight = false;
  private wanted = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFetchEnd = 0;
  private interval = MIN_REFRESH_MS;
  private artifactsTimer: ReturnType<typeof setTimeout> | undefined;
  private attemptsTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** performance.now() when the page asked for the run, and when it had everything to show: for the 1 s budget. */
  readonly timing = { start: performance.now(), run: 0, definition: 0 };

  constructor(readonly id: string) {}

  async load(): Promise<void> {
    const { signal: abortSignal } = this.abort;
    const runPromise = getRun(this.id, abortSignal).then(
      (run) => {
        this.timing.run = performance.now();
        this.applyRun(run, 0);
      },
      (error: unknown) => {
        if (!abortSignal.aborted) this.loadError.value = error;
      },
    );
    const definitionPromise = getRunDefinition(this.id, abortSignal).then(
      (definition) => {
        this.timing.definition = performance.now();
        this.definition.value = definition;
      },
      (error: unknown) => {
        if (!abortSignal.aborted) this.definitionError.value = error;
      },
    );
    void this.loadArtifacts();
    void this.readHistory();
    await Promise.all([runPromise, definitionPromise]);
  }

  dispose(): void {
    this.disposed = true;
    this.abort.abort();
    clearTimeout(this.timer);
    clearTimeout(this.artifactsTimer);
    clearTimeout(this.attemptsTimer);
  }

  /** A batch from the engine-wide stream. */
  onLive(live: LiveBatch): void {
    if (this.disposed) return;
    if (live.resync) {
      this.requestRefresh(true);
      this.requestArtifacts(true);
      return;
    }
    const mine = live.events.filter((event) => event.run_id === this.id);
    if (mine.length === 0) return;
    let urgent = false;
    let artifacts = false;
    for (const event of mine) {
      this.maxSeq = Math.max(this.maxSeq, event.seq);
      if (event.type.startsWith("run.")) urgent = true;
      if (event.type === "run.finished" || event.type === "task.artifacts" || event.type === "task.finished") artifacts = true;
      this.patch(event);
    }
    if (this.log.add(mine)) this.notifyAttempts();
    this.rebuildStatuses();
    this.requestRefresh(urgent);
    if (artifacts) this.requestArtifacts(mine.some((event) => event.type === "run.finished"));
  }

  /** Asks for the run object again now (after an action). */
  refreshNow(): void {
    this.requestRefresh(true);
  }

  private patch(event: RunEvent): void {
    const path = event.task_path;
    if (!path) return;
    let state: TaskState | undefined;
    if (event.type === "task.started") state = "running";
    else if (event.type === "task.finished" && typeof event.data?.state === "string") state = event.data.state as TaskState;
    else if (event.type === "task.kept") state = "succeeded";
    else if (/^task\.(skipped|canceled|interrupted|timed_out|failed|succeeded)$/.test(event.type)) state = event.type.slice(5) as TaskState;
    if (!state) return;
    this.patches.set(path, { seq: event.seq, state, ...(event.attempt ? { attempts: event.attempt } : {}) });
  }

  private applyRun(run: Run, answeredSeq: number): void {
    for (const [path, patch] of this.patches) if (patch.seq <= answeredSeq) this.patches.delete(path);
    batch(() => {
      this.run.value = run;
      this.rebuildStatuses();
    });
  }

  /** Statuses from the run object, patched by newer events; an unchanged status keeps its object. */
  private rebuildStatuses(): void {
    const run = this.run.peek();
    if (!run) return;
    const next = new Map<string, NodeStatus>();
    const cache = new Map<string, { key: string; status: NodeStatus }>();
    const finished = run.finished_at !== null;
    const put = (path: string, state: TaskState, durationMs: number | null, attempts: number) => {
      const patch = this.patches.get(path);
      const shownState = patch?.state ?? state;
      const shownAttempts = Math.max(attempts, patch?.attempts ?? 0);
      const tries = this.log.attemptsOf(path);
      const last = tries[tries.length - 1];
      let duration = durationMs;
      if (patch && last && last.attempt === shownAttempts) duration = last.startedAt !== null && last.finishedAt !== null ? last.finishedAt - last.startedAt : null;
      if (shownState === "running" || shownState === "pending") duration = null;
      const retrying = !finished && last !== undefined && last.retryDelayMs !== null && last.finishedAt !== null && shownState !== "running" && last.attempt >= shownAttempts;
      const note = retrying ? "retrying" : undefined;
      const key = `${shownState}|${duration}|${shownAttempts}|${note ?? ""}`;
      const before = this.statusCache.get(path);
      const status = before && before.key === key ? before.status : { state: shownState, durationMs: duration, attempts: shownAttempts, ...(note ? { note } : {}) };
      cache.set(path, { key, status });
      next.set(path, status);
    };
    for (const task of run.tasks) put(task.path, task.state, task.duration_ms, task.attempts);
    for (const group of run.groups) put(group.path, group.state, null, 0);
    this.statusCache = cache;
    this.statuses.value = next;
  }

  private requestRefresh(urgent: boolean): void {
    if (this.disposed) return;
    this.wanted = true;
    if (this.inFlight) return;
    if (this.timer !== undefined) {
      if (!urgent) return;
      clearTimeout(this.timer);
    }
    const wait = urgent ? 0 : Math.max(0, this.lastFetchEnd + this.interval - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, wait);
  }

  private async refresh(): Promise<void> {
    if (this.inFlight || this.disposed) return;
    this.wanted = false;
    this.inFlight = true;
    const answeredSeq = this.maxSeq;
    const started = performance.now();
    try {
      const run = await getRun(this.id, this.abort.signal);
      if (this.disposed) return;
      this.applyRun(run, answeredSeq);
      this.refreshError.value = null;
    } catch (error) {
      if (!this.disposed) this.refreshError.value = messageOf(error);
    } finally {
      this.inFlight = false;
      this.lastFetchEnd = performance.now();
      // A slow engine is asked less often: never more than a third of its time goes to this page.
      this.interval = Math.max(MIN_REFRESH_MS, 2 * (this.lastFetchEnd - started));
      if (this.wanted) this.requestRefresh(false);
    }
  }

  private requestArtifacts(now: boolean): void {
    if (this.disposed) return;
    if (this.artifactsTimer !== undefined) {
      if (!now) return;
      clearTimeout(this.artifactsTimer);
    }
    this.artifactsTimer = setTimeout(
      () => {
        this.artifactsTimer = undefined;
        void this.loadArtifacts();
      },
      now ? 0 : ARTIFACTS_REFRESH_MS,
    );
  }

  private async loadArtifacts(): Promise<void> {
    try {
      this.artifacts.value = await listArtifacts(this.id, this.abort.signal);
      this.artifactsError.value = null;
    } catch (error) {
      if (!this.abort.signal.aborted) this.artifactsError.value = messageOf(error);
    }
  }

  private async readHistory(): Promise<void> {
    try {
      await readRunEvents(
        this.id,
        (events) => {
          for (const event of events) this.maxSeq = Math.max(this.maxSeq, event.seq);
          if (this.log.add(events)) this.notifyAttempts();
        },
        this.abort.signal,
      );
      this.historyError.value = null;
    } catch (error) {
      if (!this.abort.signal.aborted) this.historyError.value = messageOf(error);
    }
  }

  private notifyAttempts(): void {
    if (this.attemptsTimer !== undefined || this.disposed) return;
    this.attemptsTimer = setTimeout(() => {
      this.attemptsTimer = undefined;
      this.attemptsVersion.value++;
      // Notes such as "retrying" come from the attempts.
      this.rebuildStatuses();
    }, ATTEMPTS_NOTIFY_MS);
  }
}
