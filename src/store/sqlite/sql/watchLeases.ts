/** `spire watch` leases (Store.grantWatchLease and the rest): one row per leased pipeline, times by this machine's clock. */
import type { Connection } from "../connection.js";
import type { WatchLeaseRenewal, WatchLeaseTerm } from "../../port.js";

interface LeaseRow {
  holder: string | null;
  expires_at: number;
}

export function grantWatchLease(conn: Connection, namespace: string, name: string, leaseMs: number, atLeast: boolean, now: number): void {
  const kept = atLeast ? "DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)" : "DO NOTHING";
  conn.statement(`INSERT INTO watch_leases (namespace, name, holder, expires_at) VALUES (?, ?, NULL, ?) ON CONFLICT (namespace, name) ${kept}`).run(namespace, name, now + leaseMs);
}

/** One statement: the term is taken only where no other holder's term is still running (the WHERE of the upsert). */
const RENEW = `
INSERT INTO watch_leases AS lease (namespace, name, holder, expires_at) VALUES (@namespace, @name, @holder, @expires)
ON CONFLICT (namespace, name) DO UPDATE SET holder = coalesce(excluded.holder, lease.holder), expires_at = excluded.expires_at
WHERE excluded.holder IS NULL OR lease.holder IS NULL OR lease.holder = excluded.holder OR lease.expires_at <= @now
RETURNING holder`;

export function renewWatchLease(conn: Connection, namespace: string, name: string, holder: string | null, leaseMs: number, now: number): WatchLeaseRenewal {
  const renewed = conn.statement(RENEW).get({ namespace, name, holder, expires: now + leaseMs, now }) as { holder: string | null } | undefined;
  if (renewed) return { renewed: true, term: { holder: renewed.holder, leftMs: leaseMs } };
  // Refused: the row is another holder's, read in the same transaction.
  const held = watchLease(conn, namespace, name, now)!;
  return { renewed: false, term: { holder: held.holder!, leftMs: held.leftMs } };
}

export function watchLease(conn: Connection, namespace: string, name: string, now: number): WatchLeaseTerm | undefined {
  const row = conn.statement("SELECT holder, expires_at FROM watch_leases WHERE namespace = ? AND name = ?").get(namespace, name) as LeaseRow | undefined;
  return row && { holder: row.holder, leftMs: row.expires_at - now };
}

export function endWatchLease(conn: Connection, namespace: string, name: string, lapsedOnly: boolean, now: number): boolean {
  const lapsed = lapsedOnly ? " AND expires_at <= ?" : "";
  return conn.statement(`DELETE FROM watch_leases WHERE namespace = ? AND name = ?${lapsed}`).run(namespace, name, ...(lapsedOnly ? [now] : [])).changes > 0;
}
