/**
 * Requests to the engine that runs a run (cancel it), made through another
 * engine. The NOTIFY goes with the insert's commit, on the channel the
 * engines listen to, with the owner's id as its payload: only that engine
 * looks, at once; the others ignore it.
 */
import type { Database, Sql } from "../pool.js";
import type { RunRequest, RunRequestKind, RunRequestOutcome, RunRequestState } from "../../shared-port.js";
import { int, text, textOrNull } from "../../columns.js";

export const RUN_REQUESTS_CHANNEL = "spire_run_requests";

/** This connection's engine (PostgresOptions.owner), as the runs table's default reads it. */
const ME = "nullif(current_setting('spire.owner', true), '')";

export async function requestRun(db: Database, request: Omit<RunRequest, "id">): Promise<RunRequestState | undefined> {
  return db.transaction(async (sql) => {
    // Not locked: a run that ends just after this look finds its engine with the request, which says it has nothing to cancel.
    const run = await sql.one(`SELECT owner, owner IS NOT DISTINCT FROM ${ME} AS mine FROM runs WHERE id = $1 AND state IN ('queued', 'running')`, [request.run_id]);
    if (!run || run.owner === null || run.mine === true) return undefined;
    const owner = text(run, "owner");
    const made = await sql.one(
      `INSERT INTO run_requests (run_id, kind, reason, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run_id, kind) WHERE taken_at IS NULL DO NOTHING RETURNING id`,
      [request.run_id, request.kind, request.reason, request.requested_by, request.requested_at],
    );
    const id = made ? int(made, "id") : int((await sql.one("SELECT id FROM run_requests WHERE run_id = $1 AND kind = $2 AND taken_at IS NULL", [request.run_id, request.kind]))!, "id");
    await sql.rows("SELECT pg_notify($1, $2)", [RUN_REQUESTS_CHANNEL, owner]);
    return { id, owner, outcome: null };
  });
}

export async function runRequest(sql: Sql, id: number): Promise<RunRequestState | undefined> {
  const row = await sql.one("SELECT q.id, r.owner, q.outcome FROM run_requests q JOIN runs r ON r.id = q.run_id WHERE q.id = $1", [id]);
  return row && { id: int(row, "id"), owner: textOrNull(row, "owner") ?? "", outcome: textOrNull(row, "outcome") as RunRequestOutcome | null };
}

/** Through the partial index of waiting requests, then the runs they are for: cheap when there are none, as almost always. */
export async function waitingRequests(sql: Sql): Promise<RunRequest[]> {
  const rows = await sql.rows(
    `SELECT q.id, q.run_id, q.kind, q.reason, q.requested_by, q.requested_at
       FROM run_requests q JOIN runs r ON r.id = q.run_id
      WHERE q.taken_at IS NULL AND r.owner = ${ME}
      ORDER BY q.id`,
  );
  return rows.map((row) => ({
    id: int(row, "id"),
    run_id: text(row, "run_id"),
    kind: text(row, "kind") as RunRequestKind,
    reason: text(row, "reason"),
    requested_by: text(row, "requested_by"),
    requested_at: int(row, "requested_at"),
  }));
}

export async function settleRequest(sql: Sql, id: number, outcome: RunRequestOutcome, at: number): Promise<boolean> {
  return (await sql.changes("UPDATE run_requests SET taken_at = $2, outcome = $3 WHERE id = $1 AND taken_at IS NULL", [id, at, outcome])) > 0;
}
