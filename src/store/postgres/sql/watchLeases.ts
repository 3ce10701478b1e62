/**
 * `spire watch` leases (Store.grantWatchLease and the rest), by the server's
 * clock: engines sharing the store agree on when a term runs out whatever
 * their own clocks say, and are told what is left of it.
 */
import type { Sql } from "../pool.js";
import type { WatchLeaseRenewal, WatchLeaseTerm } from "../../port.js";

const NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

export async function grantWatchLease(sql: Sql, namespace: string, name: string, leaseMs: number, atLeast: boolean): Promise<void> {
  const kept = atLeast ? "DO UPDATE SET expires_at = greatest(watch_leases.expires_at, excluded.expires_at)" : "DO NOTHING";
  await sql.changes(`INSERT INTO watch_leases (namespace, name, holder, expires_at) VALUES ($1, $2, NULL, ${NOW_MS} + $3) ON CONFLICT (namespace, name) ${kept}`, [namespace, name, leaseMs]);
}

/** One statement: the term is taken only where no other holder's term is still running (the WHERE of the upsert). */
const RENEW = `
INSERT INTO watch_leases AS lease (namespace, name, holder, expires_at) VALUES ($1, $2, $3, ${NOW_MS} + $4)
ON CONFLICT (namespace, name) DO UPDATE SET holder = coalesce(excluded.holder, lease.holder), expires_at = excluded.expires_at
WHERE excluded.holder IS NULL OR lease.holder IS NULL OR lease.holder = excluded.holder OR lease.expires_at <= ${NOW_MS}
RETURNING holder`;

export async function renewWatchLease(sql: Sql, namespace: string, name: string, holder: string | null, leaseMs: number): Promise<WatchLeaseRenewal> {
  // Refused, then the holder's term ended before it could be read: asked again, once is enough in practice.
  for (let ask = 1; ; ask++) {
    const renewed = await sql.one(RENEW, [namespace, name, holder, leaseMs]);
    if (renewed) return { renewed: true, term: { holder: (renewed.holder as string | null) ?? null, leftMs: leaseMs } };
    const held = await watchLease(sql, namespace, name);
    if (held?.holder != null || ask === 3) return { renewed: false, term: { holder: held?.holder ?? "", leftMs: held?.leftMs ?? 0 } };
  }
}

export async function watchLease(sql: Sql, namespace: string, name: string): Promise<WatchLeaseTerm | undefined> {
  const row = await sql.one(`SELECT holder, expires_at - ${NOW_MS} AS left_ms FROM watch_leases WHERE namespace = $1 AND name = $2`, [namespace, name]);
  return row && { holder: (row.holder as string | null) ?? null, leftMs: Number(row.left_ms) };
}

export async function endWatchLease(sql: Sql, namespace: string, name: string, lapsedOnly: boolean): Promise<boolean> {
  const lapsed = lapsedOnly ? ` AND expires_at <= ${NOW_MS}` : "";
  return (await sql.changes(`DELETE FROM watch_leases WHERE namespace = $1 AND name = $2${lapsed}`, [namespace, name])) > 0;
}
