/**
 * Artifacts kept for the other engines: one row per file of a task's
 * artifact folder, its bytes in chunks of ARTIFACT_CHUNK_BYTES; and the room
 * each task of a run has taken under the run's limit (migration 16).
 */
import { prepared, type Database, type Sql } from "../pool.js";
import type { ArtifactRoom, ArtifactUpload, SharedArtifact, SharedArtifactBytes } from "../../shared-port.js";
import { bool, int, text } from "../../columns.js";

/** This connection's engine (PostgresOptions.owner). */
const ME = "nullif(current_setting('spire.owner', true), '')";

/** Bytes per row: small enough to hold, send and read back one at a time. */
export const ARTIFACT_CHUNK_BYTES = 1 << 20;

/**
 * One transaction: the task's files are the new set, or (on an error) still
 * the old one. A file's bytes are read in pieces as they are written, so a
 * big file is never held whole in memory.
 */
export async function replaceArtifacts(db: Database, runId: string, task: string, files: readonly ArtifactUpload[]): Promise<boolean> {
  return db.transaction(async (sql) => {
    // Only while the run is this engine's, as for its state (migration 5): an engine woken after its run was taken over
    // must not replace what the engine that carried it on copied. Locked like a write of the run: a take-over passes it over meanwhile.
    if (!(await sql.one(`SELECT 1 FROM runs WHERE id = $1 AND (${ME} IS NULL OR owner IS NULL OR owner = ${ME}) FOR SHARE`, [runId]))) return false;
    await sql.changes("DELETE FROM artifact_files WHERE run_id = $1 AND task = $2", [runId, task]);
    // The files count for the run from now on, in place of the room reserved for them.
    await sql.changes(FORGET_ROOM, [runId, task]);
    for (const file of files) {
      const row = await sql.one("INSERT INTO artifact_files (run_id, task, name, size) VALUES ($1, $2, $3, $4) RETURNING id", [runId, task, file.name, file.size]);
      const id = int(row!, "id");
      let chunk = 0;
      let written = 0;
      for await (const piece of inChunks(file.read())) {
        await sql.changes("INSERT INTO artifact_chunks (file_id, chunk, bytes) VALUES ($1, $2, $3)", [id, chunk++, piece]);
        written += piece.length;
      }
      // The file changed as it was read: what is kept must be what its size says.
      if (written !== file.size) await sql.changes("UPDATE artifact_files SET size = $2 WHERE id = $1", [id, written]);
    }
    return true;
  });
}

/** The pieces a file is read in, joined or cut into chunks of exactly ARTIFACT_CHUNK_BYTES (the last one shorter). */
async function* inChunks(pieces: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  let held: Buffer[] = [];
  let bytes = 0;
  for await (const piece of pieces) {
    held.push(piece);
    bytes += piece.length;
    while (bytes >= ARTIFACT_CHUNK_BYTES) {
      const all = Buffer.concat(held);
      yield all.subarray(0, ARTIFACT_CHUNK_BYTES);
      held = [all.subarray(ARTIFACT_CHUNK_BYTES)];
      bytes -= ARTIFACT_CHUNK_BYTES;
    }
  }
  if (bytes > 0) yield Buffer.concat(held);
}

export async function listArtifacts(sql: Sql, runId: string): Promise<SharedArtifact[]> {
  const rows = await sql.rows("SELECT task, name, size FROM artifact_files WHERE run_id = $1 ORDER BY task, name", [runId]);
  return rows.map((row) => ({ task: text(row, "task"), name: text(row, "name"), size: int(row, "size") }));
}

/** The chunks are read one by one as the reader asks for them; a file replaced meanwhile ends the read with an error. */
export async function openArtifact(sql: Sql, runId: string, task: string, name: string): Promise<SharedArtifactBytes | undefined> {
  const row = await sql.one("SELECT id, size FROM artifact_files WHERE run_id = $1 AND task = $2 AND name = $3", [runId, task, name]);
  if (!row) return undefined;
  const id = int(row, "id");
  const size = int(row, "size");
  return {
    size,
    async *read() {
      let sent = 0;
      for (let chunk = 0; sent < size; chunk++) {
        const found = await sql.one("SELECT bytes FROM artifact_chunks WHERE file_id = $1 AND chunk = $2", [id, chunk]);
        if (!found) throw new Error(`the artifact ${name} of task ${task} was replaced or removed while it was read`);
        const bytes = found.bytes as Buffer;
        sent += bytes.length;
        yield bytes;
      }
    },
  };
}

export async function copyArtifacts(db: Database, fromRun: string, toRun: string, task: string): Promise<void> {
  await db.transaction(async (sql) => {
    await sql.changes("DELETE FROM artifact_files WHERE run_id = $1 AND task = $2", [toRun, task]);
    await sql.changes(FORGET_ROOM, [toRun, task]);
    // Each copied file gets a new id; old and new ids are paired by name to copy the chunks.
    await sql.changes(
      `WITH copied AS (
         INSERT INTO artifact_files (run_id, task, name, size)
         SELECT $2, task, name, size FROM artifact_files WHERE run_id = $1 AND task = $3
         RETURNING id, name)
       INSERT INTO artifact_chunks (file_id, chunk, bytes)
       SELECT copied.id, c.chunk, c.bytes
         FROM copied
         JOIN artifact_files f ON f.run_id = $1 AND f.task = $3 AND f.name = copied.name
         JOIN artifact_chunks c ON c.file_id = f.id`,
      [fromRun, toRun, task],
    );
  });
}

const FORGET_ROOM = prepared("DELETE FROM artifact_reservations WHERE run_id = $1 AND task = $2");

/** One decision about a run's artifact room at a time, whichever engine takes it: held to the commit. */
const HOLD_ROOM = prepared("SELECT pg_advisory_xact_lock(hashtext('spire: artifacts ' || current_schema()), hashtext($1))");

/**
 * What the run's other tasks hold: for each, the room reserved for it if any
 * (its files here are an earlier attempt's, which its own copy replaces),
 * else its files. A room counts only while the attempt it was decided for
 * may still copy its files here: while its task's latest attempt is under
 * way (or has no row yet). Once that attempt's end is recorded its files
 * replaced the room, or none came (it kept nothing, or its engine stopped
 * and another recorded its end): a room left then is nobody's, and costs
 * the task that ends no query to clear it. A statement of its own, sent once
 * the lock is held: its snapshot then sees what the decision before this one
 * reserved. Only while the run is this engine's, locked as replaceArtifacts
 * locks it.
 */
const HELD = prepared(`
WITH room AS (
  SELECT r.task, r.bytes FROM artifact_reservations r
  WHERE r.run_id = $1 AND r.task <> $2
    AND coalesce((SELECT t.state IN ('pending', 'running') FROM task_runs t WHERE t.run_id = $1 AND t.path = r.task ORDER BY t.attempt DESC LIMIT 1), true))
SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1 AND (${ME} IS NULL OR owner IS NULL OR owner = ${ME}) FOR SHARE) AS mine,
  (SELECT coalesce(sum(bytes), 0) FROM room)::bigint
  + (SELECT coalesce(sum(f.size), 0) FROM artifact_files f
      WHERE f.run_id = $1 AND f.task <> $2 AND f.task NOT IN (SELECT task FROM room))::bigint AS others`);

const RESERVE = prepared(`
INSERT INTO artifact_reservations (run_id, task, bytes) VALUES ($1, $2, $3)
ON CONFLICT (run_id, task) DO UPDATE SET bytes = excluded.bytes`);

/** SharedStore.reserveArtifactRoom: read, decide and reserve in one transaction, under the run's lock. */
export async function reserveArtifactRoom<T>(db: Database, runId: string, task: string, decide: (others: number) => ArtifactRoom<T>): Promise<T | undefined> {
  return db.transaction(async (sql) => {
    await sql.rows(HOLD_ROOM, [runId]);
    const held = await sql.one(HELD, [runId, task]);
    if (!held || !bool(held, "mine")) return undefined;
    const room = decide(int(held, "others"));
    await sql.changes(RESERVE, [runId, task, room.bytes]);
    return room.result;
  });
}
