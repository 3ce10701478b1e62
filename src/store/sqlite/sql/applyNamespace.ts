import type { Connection } from "../connection.js";
import type { NamespaceChange } from "../../port.js";
import { upsertNamespace } from "./namespaces.js";
import { applyPipeline, deletePipeline } from "./pipelines.js";
import { appendAudit } from "./audit.js";

/**
 * One apply of a namespace. Call inside a write transaction: any failure
 * rolls back every row, so definitions are never half applied.
 */
export function applyNamespace(conn: Connection, change: NamespaceChange): void {
  const namespace = change.namespace.name;
  const stray = change.upserts.find((row) => row.namespace !== namespace);
  if (stray) {
    throw new Error(`store: applying namespace ${JSON.stringify(namespace)} got pipeline ${stray.namespace}/${stray.name}`);
  }
  upsertNamespace(conn, change.namespace);
  for (const row of change.upserts) applyPipeline(conn, row);
  for (const name of change.deletes) deletePipeline(conn, namespace, name);
  // Last: the audit entry records what was done, so it exists only if all of it was.
  if (change.audit) appendAudit(conn, change.audit);
}
