import type { Sql } from "../pool.js";
import { codeOf } from "../pool.js";
import type { TokenRow } from "../../port.js";
import { TokenNameTakenError } from "../../errors.js";
import { tokenFromRow } from "../../rows.js";

const INSERT = `
INSERT INTO tokens (id, name, scope, created_at, expires_at, revoked_at, last_used_at, kind, parent_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

/**
 * Inserts a token. The partial unique index on live names decides, also
 * between two engines creating the same name at once: its violation is the
 * typed error.
 */
export async function insertToken(sql: Sql, row: TokenRow): Promise<void> {
  try {
    await sql.changes(INSERT, [row.id, row.name, row.scope, row.created_at, row.expires_at ?? null, row.revoked_at ?? null, row.last_used_at ?? null, row.kind, row.parent_id]);
  } catch (error) {
    if (codeOf(error) === "23505" && (error as { constraint?: unknown }).constraint === "tokens_live_name") throw new TokenNameTakenError(row.name);
    throw error;
  }
}

export async function getToken(sql: Sql, id: string): Promise<TokenRow | undefined> {
  const row = await sql.one("SELECT * FROM tokens WHERE id = $1", [id]);
  return row && tokenFromRow(row);
}

export async function listTokens(sql: Sql): Promise<TokenRow[]> {
  return (await sql.rows("SELECT * FROM tokens ORDER BY created_at DESC, id DESC")).map(tokenFromRow);
}

/** Only a live token is revoked: the first revocation time is the one that counts. Sessions made from it end with it. Call in a transaction. */
export async function revokeToken(sql: Sql, id: string, at: number): Promise<boolean> {
  const revoked = (await sql.changes("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [at, id])) > 0;
  if (revoked) await sql.changes("UPDATE tokens SET revoked_at = $1 WHERE parent_id = $2 AND revoked_at IS NULL", [at, id]);
  return revoked;
}

/**
 * One statement, no read first: it runs on every authenticated request.
 * Requests finish out of order, so an older time never overwrites a newer one.
 */
export async function touchToken(sql: Sql, id: string, at: number): Promise<void> {
  await sql.changes("UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)", [at, id]);
}
