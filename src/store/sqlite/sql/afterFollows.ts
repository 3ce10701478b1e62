/** `after` triggers made durable: pending finished runs and the claims of their followers' runs. */
import type { Connection } from "../connection.js";
import type { EventRow, FollowerClaim, RunCreation, RunRow } from "../../port.js";
import { insertRun } from "./runs.js";
import { runFromRow } from "../../rows.js";
import { appendEvent } from "./events.js";
import { appendAudit } from "./audit.js";
import { checkMadeFrom } from "./run-creation.js";

export function markPending(conn: Connection, runId: string): void {
  conn.statement("INSERT INTO after_pending (run_id) VALUES (?) ON CONFLICT DO NOTHING").run(runId);
}

/** Call inside a write transaction: the claim's primary key is the guard, the run is made only past it. */
export function createFollowerRun(conn: Connection, claim: FollowerClaim, run: RunRow, event: Omit<EventRow, "seq">, at: number, creation: RunCreation = {}): EventRow | undefined {
  checkMadeFrom(conn, run, creation);
  const claimed = conn
    .statement("INSERT INTO after_follows (source_run, namespace, pipeline, trigger_key, run_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
    .run(claim.source_run, claim.namespace, claim.pipeline, claim.trigger_key, run.id, at);
  if (claimed.changes === 0) return undefined;
  insertRun(conn, run);
  if (creation.audit) appendAudit(conn, creation.audit);
  return appendEvent(conn, event);
}

export function listPendingFollowers(conn: Connection): RunRow[] {
  return conn.statement("SELECT runs.* FROM after_pending JOIN runs ON runs.id = after_pending.run_id ORDER BY runs.finished_at, runs.id").all().map(runFromRow);
}

/**
 * The run's followers are all made: it is pending no more. Its claims stay
 * (they go with the run, at retention): an engine that read it as pending
 * before this, and follows it after, must find them, or it makes a follower
 * again.
 */
export function settleFollowers(conn: Connection, runId: string): void {
  conn.statement("DELETE FROM after_pending WHERE run_id = ?").run(runId);
}
