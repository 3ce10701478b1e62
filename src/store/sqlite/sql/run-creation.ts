/** What createRun checks and adds in its transaction (RunCreation). */
import type { Connection } from "../connection.js";
import type { DefinitionSeen, EventRow, RunCreation, RunRow } from "../../port.js";
import { DefinitionChangedError } from "../../errors.js";
import { insertRun } from "./runs.js";
import { appendEvent } from "./events.js";
import { appendAudit } from "./audit.js";
import { stillAsSeen } from "../../definition-seen.js";

/** Call inside a write transaction: the run, its event and its audit entry, if the definition it was made from is still the stored one. */
export function createRun(conn: Connection, run: RunRow, event: Omit<EventRow, "seq">, creation: RunCreation = {}): EventRow {
  checkMadeFrom(conn, run, creation);
  insertRun(conn, run);
  if (creation.audit) appendAudit(conn, creation.audit);
  return appendEvent(conn, event);
}

/** DefinitionChangedError unless the run's pipeline and namespace are as the engine saw them (DefinitionSeen). */
export function checkMadeFrom(conn: Connection, run: Pick<RunRow, "namespace" | "pipeline">, creation: RunCreation): void {
  const seen = creation.madeFrom;
  if (seen && !stillStored(conn, run.namespace, run.pipeline, seen)) throw new DefinitionChangedError(run.namespace, run.pipeline);
}

/** Whether the stored pipeline and its namespace are as the engine saw them. */
export function stillStored(conn: Connection, namespace: string, name: string, seen: DefinitionSeen): boolean {
  const pipeline = conn.statement("SELECT digest, paused FROM pipelines WHERE namespace = ? AND name = ?").get(namespace, name) as { digest: string; paused: number } | undefined;
  const namespaceRow = conn.statement("SELECT updated_at FROM namespaces WHERE name = ?").get(namespace) as { updated_at: number } | undefined;
  return stillAsSeen(pipeline && { digest: pipeline.digest, paused: pipeline.paused !== 0 }, namespaceRow?.updated_at ?? null, seen);
}
