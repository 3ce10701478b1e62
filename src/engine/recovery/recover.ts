/**
 * After a restart, what became of each attempt the store says is running
 * (SPEC §6: killing the engine loses no finished result). In order of trust:
 * the supervisor still runs it (adopt it); the supervisor holds its report
 * (record it); a result record beside its log (the supervisor wrote it,
 * then died: record it); the supervisor has lived since before the attempt
 * was stored and never heard of it (it never ran: start it); else nobody saw
 * its end: it is interrupted, and its process group, if it still runs with
 * nobody reading its output, is killed.
 */
import type { AttemptKeeper, Executor, KnownAttempt, Placement } from "../../exec/port.js";
import type { TaskRunRow } from "../../store/port.js";
import { attemptId } from "../runs/attempt.js";
import type { Reattached } from "./resume.js";

export class Reattacher {
  private readonly claimed = new Set<string>();

  private constructor(
    private readonly executor: Pick<Executor, "traces" | "killOrphan">,
    private readonly remote: { placement: Placement; localName: string } | undefined,
    private readonly keeper: AttemptKeeper | undefined,
    private readonly known: Map<string, KnownAttempt>,
  ) {}

  /** `remote`: the workers, for attempts the store says run elsewhere than on `localName`. */
  static async open(executor: Pick<Executor, "traces" | "killOrphan">, keeper: AttemptKeeper | undefined, remote?: { placement: Placement; localName: string }): Promise<Reattacher> {
    const known = keeper ? await keeper.list() : [];
    return new Reattacher(executor, remote, keeper, new Map(known.map((attempt) => [attempt.id, attempt])));
  }

  /** What became of each running attempt among `rows` (one run's), by task path. */
  async attemptsOf(runId: string, rows: readonly TaskRunRow[]): Promise<Map<string, Reattached>> {
    const found = new Map<string, Reattached>();
    for (const row of rows) if (row.state === "running") found.set(row.path, await this.attempt(runId, row));
    return found;
  }

  private async attempt(runId: string, row: TaskRunRow): Promise<Reattached> {
    const id = attemptId(runId, row.path, row.attempt);
    const remote = this.remote;
    const worker = row.worker;
    // On a worker: it kept running it while the engine was down, and says so when it registers again.
    if (remote && worker && worker !== remote.localName && row.log_file !== null) {
      const logFile = row.log_file;
      return { kind: "running", adopt: (events, need) => remote.placement.adopt(worker, id, logFile, events, need) };
    }
    const known = this.known.get(id);
    const keeper = this.keeper;
    if (known && keeper) {
      this.claimed.add(id);
      if (known.state === "running") return { kind: "running", adopt: (events) => keeper.adopt(id, events) };
      return { kind: "ended", report: known.report };
    }
    const records = row.log_file !== null ? await this.executor.traces(row.log_file) : {};
    if (records.result) return { kind: "ended", report: records.result };
    // Spawning writes the started record first thing: a supervisor alive all along that never wrote one never got the launch.
    if (!records.started && keeper && keeper.startedAt <= (row.started_at ?? 0)) return { kind: "unsent" };
    const killed = records.started !== undefined && this.executor.killOrphan(records.started);
    const reason = keeper
      ? "the engine and its supervisor stopped while it ran; its end was not seen"
      : "the engine stopped while it ran; its end was not seen";
    return { kind: "lost", reason: killed ? `${reason} (its processes, left with nobody to read their output, were killed)` : reason, pid: records.started?.pid ?? row.pid };
  }

  /**
   * Attempts the supervisor holds that no resumed run claims: reports already
   * stored (the engine died between storing and acking) are acked; attempts
   * still running belong to no run that goes on, so they are canceled.
   */
  releaseUnclaimed(warn: (message: string) => void): void {
    const keeper = this.keeper;
    if (!keeper) return;
    for (const [id, attempt] of this.known) {
      if (this.claimed.has(id)) continue;
      if (attempt.state === "finished") {
        keeper.ack(id);
        continue;
      }
      warn(`attempt ${id} runs in the supervisor but belongs to no run in progress: canceling it`);
      const handle = keeper.adopt(id);
      handle.cancel("canceled: no run in progress claims this attempt");
      void handle.done.then(() => keeper.ack(id));
    }
  }
}

