/** `after` triggers made durable: pending finished runs and the claims of their followers' runs. */
import type { Sql } from "../pool.js";
import type { EventRow, FollowerClaim, RunCreation, RunRow } from "../../port.js";
import { DefinitionChangedError } from "../../errors.js";
import { runFromRow } from "../../rows.js";
import { insertRun } from "./runs.js";
import { appendEvents } from "./events.js";
import { appendAudit } from "./audit.js";
import { getPipeline } from "./pipelines.js";
import { getNamespace } from "./namespaces.js";
import { stillAsSeen } from "../../definition-seen.js";

/**
 * Call in a transaction: the claim's primary key is the guard, the run is
 * made only past it. A second engine making the same claim waits for the
 * first's commit, then finds the key taken and writes nothing.
 */
export async function createFollowerRun(sql: Sql, claim: FollowerClaim, run: RunRow, event: Omit<EventRow, "seq">, at: number, creation: RunCreation = {}): Promise<EventRow | undefined> {
  if (creation.madeFrom) {
    const [pipeline, namespace] = await Promise.all([getPipeline(sql, run.namespace, run.pipeline), getNamespace(sql, run.namespace)]);
    if (!stillAsSeen(pipeline, namespace?.updated_at ?? null, creation.madeFrom)) throw new DefinitionChangedError(run.namespace, run.pipeline);
  }
  const claimed = await sql.changes(
    "INSERT INTO after_follows (source_run, namespace, pipeline, trigger_key, run_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    [claim.source_run, claim.namespace, claim.pipeline, claim.trigger_key, run.id, at],
  );
  if (claimed === 0) return undefined;
  await insertRun(sql, run);
  if (creation.audit) await appendAudit(sql, creation.audit);
  // The events last: they hold the stream's counter until the commit (events.ts).
  return (await appendEvents(sql, [event]))[0];
}

export async function listPendingFollowers(sql: Sql): Promise<RunRow[]> {
  return (await sql.rows("SELECT runs.* FROM after_pending JOIN runs ON runs.id = after_pending.run_id ORDER BY runs.finished_at, runs.id")).map(runFromRow);
}

/** The claims stay, until the run goes (sqlite/sql/afterFollows.ts says why). */
export async function settleFollowers(sql: Sql, runId: string): Promise<void> {
  await sql.changes("DELETE FROM after_pending WHERE run_id = $1", [runId]);
}
