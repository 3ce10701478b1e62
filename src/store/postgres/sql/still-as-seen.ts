/**
 * stillAsSeen (definition-seen.ts) as an SQL condition, for the statements
 * that write a run only if its definition is as the engine saw it
 * (RunCreation.madeFrom, SlotClaim.madeFrom): checked in the statement that
 * writes, not by a read before it. Each argument is an SQL expression;
 * `paused` may be NULL (not checked), `namespaceUpdatedAt` is -1 for a
 * namespace without a row.
 */
export function stillAsSeenSql(row: { namespace: string; pipeline: string; digest: string; paused: string; namespaceUpdatedAt: string }): string {
  return `EXISTS (SELECT 1 FROM pipelines AS p WHERE p.namespace = ${row.namespace} AND p.name = ${row.pipeline} AND p.digest = ${row.digest} AND (${row.paused} IS NULL OR p.paused = ${row.paused}))
    AND coalesce((SELECT s.updated_at FROM namespaces AS s WHERE s.name = ${row.namespace}), -1) = ${row.namespaceUpdatedAt}`;
}
