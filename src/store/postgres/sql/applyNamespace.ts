import type { Sql } from "../pool.js";
import type { NamespaceChange } from "../../port.js";
import { upsertNamespace } from "./namespaces.js";
import { applyPipeline, deletePipeline } from "./pipelines.js";
import { appendAudit } from "./audit.js";

/**
 * One apply of a namespace. Call in a transaction: any failure rolls back
 * every row, so definitions are never half applied.
 */
export async function applyNamespace(sql: Sql, change: NamespaceChange): Promise<void> {
  const namespace = change.namespace.name;
  const stray = change.upserts.find((row) => row.namespace !== namespace);
  if (stray) {
    throw new Error(`store: applying namespace ${JSON.stringify(namespace)} got pipeline ${stray.namespace}/${stray.name}`);
  }
  await upsertNamespace(sql, change.namespace);
  for (const row of change.upserts) await applyPipeline(sql, row);
  for (const name of change.deletes) await deletePipeline(sql, namespace, name);
  // Last: the audit entry records what was done, so it exists only if all of it was.
  if (change.audit) await appendAudit(sql, change.audit);
}
