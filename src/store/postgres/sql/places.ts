/**
 * Places in the pipelines' queues and units of named locks, shared by the
 * engines on one database (migration 9). Every decision holds the
 * pipeline's queue (an advisory lock, to the commit) before it reads it, so
 * that two engines admitting at the same instant take turns; the run's row
 * is locked FOR SHARE as its place is written, so that a run whose end is
 * being recorded (which removes its place) is never given one afterwards.
 */
import type { Database } from "../pool.js";
import { prepared } from "../pool.js";
import { Batches } from "../write-batches.js";
import type { PlaceChange, PlaceOf, QueueKey, QueuePlace, SharedQueue } from "../../shared-port.js";
import { text } from "../../columns.js";

/** Told when a run may start now elsewhere: the payload names its pipeline (`namespace/name`), or is empty for any that waits for locks. */
export const PLACES_CHANNEL = "spire_places";

/** This connection's engine (PostgresOptions.owner). */
const ME = "nullif(current_setting('spire.owner', true), '')";

const TAKE = prepared("SELECT spire_take_places($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[]) AS outcomes");
const READ = prepared("SELECT spire_queue($1, $2, $3::text[]) AS queue");

// Only an unfinished run of this engine's (or no one's) takes a place; its locks' units go with a running one.
const PLACE = prepared(`
WITH live AS (
  SELECT id FROM runs WHERE id = $1 AND state IN ('queued', 'running') AND (${ME} IS NULL OR owner IS NULL OR owner = ${ME}) FOR SHARE
), placed AS (
  INSERT INTO run_places (run_id, namespace, pipeline, "partition", place) SELECT id, $2, $3, $4, $5 FROM live
  ON CONFLICT (run_id) DO UPDATE SET place = excluded.place
  WHERE excluded.place = 'running' OR run_places.place <> 'replaced'
  RETURNING run_id
), held AS (
  INSERT INTO lock_holds (name, run_id, units)
  SELECT lock.name, live.id, lock.units FROM live, unnest($6::text[], $7::integer[]) AS lock (name, units) WHERE $5::text = 'running'
  ON CONFLICT (name, run_id) DO UPDATE SET units = excluded.units
)
SELECT (SELECT count(*) FROM live) AS live`);

const REPLACE = prepared(`
WITH replaced AS (UPDATE run_places SET place = 'replaced', replaced_by = $2 WHERE run_id = $1 AND place = 'waiting' RETURNING namespace, pipeline)
SELECT pg_notify('${PLACES_CHANNEL}', namespace || '/' || pipeline) FROM replaced`);

type Outcome = "running" | "busy" | "gone";

interface Asked {
  run: { run_id: string; namespace: string; pipeline: string; partition: string | null };
  concurrency: number;
}

/**
 * Group commit for takePlace, as for the runs' writes (write-batches.ts): the
 * runs asked for while a batch is on its way go together as the next one. A
 * pipeline's queue is held from its decision to its commit, so runs of one
 * pipeline admitted a statement each would take turns on a flush to disk
 * each; a batch takes one.
 */
export function placeBatches(db: Database): (run: Asked["run"], concurrency: number) => Promise<Outcome> {
  const batches = new Batches<Asked, Outcome>(async (batch) => {
    const column = <T>(of: (asked: Asked) => T) => batch.map((pending) => of(pending.call));
    const row = await db.sql.one(TAKE, [
      column((asked) => asked.run.run_id),
      column((asked) => asked.run.namespace),
      column((asked) => asked.run.pipeline),
      column((asked) => asked.run.partition),
      column((asked) => asked.concurrency),
    ]);
    const outcomes = row!.outcomes as Outcome[];
    batch.forEach((pending, index) => pending.resolve(outcomes[index]!));
  });
  return (run, concurrency) => batches.add({ run, concurrency });
}

export async function settlePlaces<T>(db: Database, key: QueueKey, decide: (queue: SharedQueue) => PlaceChange<T>): Promise<{ result: T; placed: boolean }> {
  return db.transaction(async (sql) => {
    const row = await sql.one(READ, [key.namespace, key.pipeline, key.locks]);
    const change = decide(parseQueue(text(row!, "queue")));
    let placed = true;
    if (change.place) placed = (await sql.one(PLACE, placeValues(key, change.place, change.place.place)))?.live === 1;
    if (placed && change.replaces !== undefined && change.place) await sql.rows(REPLACE, [change.replaces, change.place.run_id]);
    return { result: change.result, placed };
  });
}

export async function holdPlace(db: Database, key: QueueKey, run: PlaceOf, place: "waiting" | "running"): Promise<void> {
  await db.sql.rows(PLACE, placeValues(key, run, place));
}

function placeValues(key: QueueKey, run: PlaceOf, place: "waiting" | "running"): unknown[] {
  return [run.run_id, key.namespace, key.pipeline, run.partition, place, run.locks.map((lock) => lock.name), run.locks.map((lock) => lock.count)];
}

function parseQueue(json: string): SharedQueue {
  const read = JSON.parse(json) as { places: { id: string; place: QueuePlace["place"]; partition: string | null; by: string | null; live: boolean }[]; held: Record<string, number> };
  return {
    places: read.places.map((place) => ({ run_id: place.id, place: place.place, partition: place.partition, replaced_by: place.by, live: place.live })),
    held: read.held,
  };
}
