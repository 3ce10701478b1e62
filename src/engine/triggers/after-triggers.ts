/**
 * `after` triggers: a pipeline starts when another one finished with a
 * status. Which runs follow which is indexed at each refresh (apply, delete,
 * pause, resume), so a finishing run costs one map look-up.
 *
 * What counts, and why:
 * - `success`: the run succeeded. `failure`: it failed or was interrupted
 *   (the engine stopped and it could not go on). `any`: any of those three.
 * - A canceled run (a person, a preemption, a shutdown) and a skipped run
 *   (refused by queue policy, never started) trigger nothing: neither
 *   finished its work, and following a cancel would undo it.
 * - `pipeline: name` is in the same namespace; `pipeline: ns/name` in another.
 * - Cycles (A after B after A) are allowed, as the user wrote them, but a
 *   chain stops after MAX_RUN_CHAIN runs in a row started by runs (these
 *   and those tasks ask for: run-chain.ts), with a warning.
 * - Only runs an engine sees finish count: a run that ended while no engine
 *   ran triggers nothing.
 * - Durable: a run whose end may start followers is stored with a pending
 *   record (in the transaction of its end), and each follower's run is made
 *   with a claim keyed by (that run, follower trigger) in one transaction.
 *   An engine killed in between leaves the record; the next one makes the
 *   followers not made yet, and a claim made already makes nothing twice.
 *   So does one that stops cleanly while its runs end, or whose store
 *   failed: with engines sharing the store, the one that leads makes them
 *   within seconds (EventTriggers' sweep), without waiting for a start.
 */
import type { PipelineDef } from "../../definitions/schema.js";
import { upstreamKey } from "../../definitions/followed.js";
import { chainDepth, MAX_RUN_CHAIN } from "../runs/run-chain.js";
import type { EventRow, FollowerClaim, PipelineRow, RunRow, RunState, Store } from "../../store/port.js";
import type { TriggeredStart } from "./event-triggers.js";
import type { PreparedRun } from "../runs/prepared-run.js";
import { prepareRun, runCreation, type NewRunOptions, type RunRequest } from "../runs/start-run.js";

export type AfterStatus = "success" | "failure" | "any";

const MATCHING: Record<AfterStatus, ReadonlySet<RunState>> = {
  success: new Set(["succeeded"]),
  failure: new Set(["failed", "interrupted"]),
  any: new Set(["succeeded", "failed", "interrupted"]),
};

interface Follower {
  namespace: string;
  name: string;
  index: number;
  status: AfterStatus;
}

export class AfterTriggers {
  /** By the watched pipeline's `namespace/name`. */
  private followers = new Map<string, Follower[]>();

  constructor(private readonly warn: (message: string, details: object) => void) {}

  /** Indexes the `after` triggers of these pipelines (the unpaused ones). */
  update(rows: PipelineRow[]): void {
    const followers = new Map<string, Follower[]>();
    for (const row of rows) {
      for (const [index, trigger] of (row.definition as PipelineDef).triggers.entries()) {
        if (trigger.kind !== "after" || trigger.after === undefined) continue;
        const key = upstreamKey(row.namespace, trigger.after.pipeline);
        const list = followers.get(key) ?? [];
        list.push({ namespace: row.namespace, name: row.name, index, status: trigger.after.status });
        followers.set(key, list);
      }
    }
    this.followers = followers;
  }

  /** Whether a run of this pipeline ending in this state has followers to start. */
  follows(run: Pick<RunRow, "namespace" | "pipeline" | "state">): boolean {
    return (this.followers.get(`${run.namespace}/${run.pipeline}`) ?? []).some((follower) => MATCHING[follower.status].has(run.state));
  }

  /** The runs to start now that `run` has finished. */
  startsAfter(run: RunRow): TriggeredStart[] {
    const upstream = `${run.namespace}/${run.pipeline}`;
    const matching = (this.followers.get(upstream) ?? []).filter((follower) => MATCHING[follower.status].has(run.state));
    if (matching.length === 0) return [];
    const depth = chainDepth(run) + 1;
    if (depth > MAX_RUN_CHAIN) {
      this.warn(`an after-trigger chain stopped after ${MAX_RUN_CHAIN} runs in a row: do pipelines start each other in a loop?`, {
        run: run.id,
        pipeline: upstream,
        would_start: matching.map((follower) => `${follower.namespace}/${follower.name}`),
      });
      return [];
    }
    return matching.map((follower) => ({
      namespace: follower.namespace,
      name: follower.name,
      index: follower.index,
      kind: "after" as const,
      actor: "after",
      details: { of: run.id, pipeline: upstream, state: run.state, depth },
    }));
  }
}

/** The states in which a run may start followers, whoever follows it. */
export const MAY_BE_FOLLOWED: ReadonlySet<RunState> = MATCHING.any;

/** The follower's run for this finished run was made already (by this engine, or by one before it). */
export class FollowerExistsError extends Error {
  constructor(claim: FollowerClaim) {
    super(`${claim.namespace}/${claim.pipeline} was started already after run ${claim.source_run}`);
  }
}

/** storeNewRun for a follower: stored together with its claim, or not at all (FollowerExistsError). */
export async function createFollowerRun(store: Store, request: RunRequest, claim: FollowerClaim, options: NewRunOptions = {}): Promise<{ prepared: PreparedRun; created: EventRow }> {
  const { prepared, event } = await prepareRun(request);
  const created = await store.createFollowerRun(claim, prepared.run, event, runCreation(prepared.run, options));
  if (created === undefined) throw new FollowerExistsError(claim);
  return { prepared, created };
}
