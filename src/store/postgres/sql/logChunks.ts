/**
 * Task logs kept for the other engines: each attempt's log as rows of bytes
 * keyed by the offset they start at, so any byte range is one index range.
 */
import type { Sql } from "../pool.js";
import type { AttemptKey } from "../../shared-port.js";
import { int } from "../../columns.js";

const KEY = "run_id = $1 AND path = $2 AND attempt = $3";

/** A chunk sent twice (a retry after a lost answer) is there already: the second is dropped. */
export async function appendLog(sql: Sql, key: AttemptKey, offset: number, bytes: Buffer): Promise<void> {
  if (bytes.length === 0) return;
  await sql.changes("INSERT INTO log_chunks (run_id, path, attempt, start_offset, bytes) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", [key.run_id, key.path, key.attempt, offset, bytes]);
}

export async function logSize(sql: Sql, key: AttemptKey): Promise<number> {
  const row = await sql.one(`SELECT start_offset + octet_length(bytes) AS size FROM log_chunks WHERE ${KEY} ORDER BY start_offset DESC LIMIT 1`, [key.run_id, key.path, key.attempt]);
  return row ? int(row, "size") : 0;
}

/**
 * The chunks that hold [position, position + length): the one it starts in
 * (the last to start at or before it) and those that start inside it, each
 * cut to the range by the database, so a one-byte look sends one byte.
 */
const RANGE = `
SELECT start_offset,
       substring(bytes FROM greatest($4::bigint - start_offset, 0)::int + 1
                 FOR greatest(least(octet_length(bytes)::bigint, $4::bigint + $5::bigint - start_offset) - greatest($4::bigint - start_offset, 0), 0)::int) AS part
  FROM log_chunks
 WHERE ${KEY} AND start_offset < $4::bigint + $5::bigint
   AND start_offset >= coalesce((SELECT max(start_offset) FROM log_chunks WHERE ${KEY} AND start_offset <= $4::bigint), 0)
 ORDER BY start_offset`;

export async function readLog(sql: Sql, key: AttemptKey, position: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const rows = await sql.rows(RANGE, [key.run_id, key.path, key.attempt, position, length]);
  const parts: Buffer[] = [];
  let at = position;
  for (const row of rows) {
    const part = row.part as Buffer;
    if (part.length === 0) continue; // the chunk it starts in ended before it
    // Chunks are copied in order, one after the other: a gap would be a chunk lost, and nothing after it is given.
    if (Math.max(int(row, "start_offset"), position) !== at) break;
    parts.push(part);
    at += part.length;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export async function copyLog(sql: Sql, from: AttemptKey, to: AttemptKey): Promise<void> {
  await sql.changes(
    `INSERT INTO log_chunks (run_id, path, attempt, start_offset, bytes)
     SELECT $4, $5, $6, start_offset, bytes FROM log_chunks WHERE ${KEY}
     ON CONFLICT DO NOTHING`,
    [from.run_id, from.path, from.attempt, to.run_id, to.path, to.attempt],
  );
}
