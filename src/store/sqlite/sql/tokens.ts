import type { Connection } from "../connection.js";
import type { TokenRow } from "../../port.js";
import { TokenNameTakenError } from "../../errors.js";
import { tokenFromRow } from "../../rows.js";

const INSERT = `
INSERT INTO tokens (id, name, scope, created_at, expires_at, revoked_at, last_used_at, kind, parent_id)
VALUES (@id, @name, @scope, @created_at, @expires_at, @revoked_at, @last_used_at, @kind, @parent_id)`;

/**
 * Inserts a token. Call inside a write transaction: the name check and the
 * insert then hold the write lock together, so the typed error is exact (the
 * partial unique index is the backstop).
 */
export function insertToken(conn: Connection, row: TokenRow): void {
  const taken = conn.statement("SELECT 1 FROM tokens WHERE name = ? AND revoked_at IS NULL").get(row.name);
  if (taken && row.revoked_at === null) throw new TokenNameTakenError(row.name);
  conn.statement(INSERT).run({
    id: row.id,
    name: row.name,
    scope: row.scope,
    created_at: row.created_at,
    expires_at: row.expires_at ?? null,
    revoked_at: row.revoked_at ?? null,
    last_used_at: row.last_used_at ?? null,
    kind: row.kind,
    parent_id: row.parent_id,
  });
}

export function getToken(conn: Connection, id: string): TokenRow | undefined {
  const row = conn.statement("SELECT * FROM tokens WHERE id = ?").get(id);
  return row && tokenFromRow(row);
}

export function listTokens(conn: Connection): TokenRow[] {
  return conn.statement("SELECT * FROM tokens ORDER BY created_at DESC, id DESC").all().map(tokenFromRow);
}

/** Only a live token is revoked: the first revocation time is the one that counts. Sessions made from it end with it. */
export function revokeToken(conn: Connection, id: string, at: number): boolean {
  const revoked = conn.statement("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(at, id).changes > 0;
  if (revoked) conn.statement("UPDATE tokens SET revoked_at = ? WHERE parent_id = ? AND revoked_at IS NULL").run(at, id);
  return revoked;
}

/**
 * One statement, no read first: it runs on every authenticated request.
 * Requests finish out of order, so an older time never overwrites a newer one.
 */
export function touchToken(conn: Connection, id: string, at: number): void {
  conn
    .statement("UPDATE tokens SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)")
    .run({ id, at });
}
