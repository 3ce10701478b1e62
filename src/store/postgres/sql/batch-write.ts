/**
 * A batch of new runs and state changes as one statement (write-batches.ts
 * groups the calls): the runs with their audit entries, the changes' rows
 * (state-changes.ts), and every event, each part a data-modifying CTE.
 * PostgreSQL runs a statement as a transaction by itself: one round trip and
 * one commit for the batch, and the events' counter locked only inside the
 * server, once for all of it (events.ts says why it is locked). The rows go
 * as arrays, so the text depends only on which parts a batch has: a few
 * shapes, each prepared once per connection.
 *
 * All or nothing, but for one thing: a new run whose definition changed
 * since the engine saw it (RunCreation.madeFrom) is left out, with its event
 * and audit entry, and only its call is told (DefinitionChangedError).
 */
import { prepared, type Sql } from "../pool.js";
import type { EventRow, RunCreation, RunRow, StateChange } from "../../port.js";
import type { PlaceTaken } from "../../shared-port.js";
import { DefinitionChangedError, RunNotFoundError } from "../../errors.js";
import { text, toJson } from "../../columns.js";
import { Params } from "./params.js";
import { RUN_INSERT_COLUMNS, runValues } from "./runs.js";
import { attemptsInsert, changeParts, newRunStart } from "./state-changes.js";
import { stillAsSeenSql } from "./still-as-seen.js";

/**
 * `placeUnder`: the run takes its place in its pipeline's queue with it, if
 * fewer than this many run (SharedStore.createPlacedRun); `start`: its start
 * (isNewRunStart), stored with it if it takes a running place.
 */
export type BatchCall =
  | { kind: "create"; run: RunRow; event: Omit<EventRow, "seq">; creation: RunCreation; placeUnder?: number; start?: readonly StateChange[] }
  | { kind: "change"; changes: readonly StateChange[] };

/**
 * What a call stored: its events and, for a run made with its place asked
 * for, what came of that (none: its queue was held, nothing tried), and the
 * events of its start when that was stored with it.
 */
export interface Stored {
  events: EventRow[];
  place?: PlaceTaken;
  started?: EventRow[];
}

/** Per call, in order: what it stored, or why nothing of it was stored. */
export type BatchOutcome = Stored | DefinitionChangedError;

type Creation = Extract<BatchCall, { kind: "create" }>;

const EVENT_TYPES = ["text", "bigint", "text", "text", "integer", "text"];
const RUN_NAMES = RUN_INSERT_COLUMNS.map(([column]) => column);

export async function writeBatch(sql: Sql, calls: readonly BatchCall[]): Promise<BatchOutcome[]> {
  const creations = calls.filter((call): call is Creation => call.kind === "create");
  const changes = calls.flatMap((call) => (call.kind === "change" ? call.changes : []));
  const params = new Params();
  const list = (values: unknown[], type: string) => `${params.add(values)}::${type}[]`;
  const changed = changeParts(params, changes);
  const { go } = changed;
  const parts = [...changed.parts];
  const writes = [...changed.writes];
  if (creations.length > 0) {
    parts.push(madePart(list, creations, go));
    writes.push("made");
  }
  const placing = creations.filter((call) => call.placeUnder !== undefined);
  if (placing.length > 0) {
    parts.push(placedPart(list, placing));
    writes.push("placed");
  }
  const starting = placing.filter((call) => call.start !== undefined);
  if (starting.length > 0) {
    parts.push(...startedParts(params, list, starting));
    writes.push("started", "start_attempts");
  }
  const audited = creations.filter((call) => call.creation.audit !== undefined);
  if (audited.length > 0) {
    parts.push(...auditParts(list, audited));
    writes.push("audited");
  }
  // Each event with the run it is the `run.created` of, or the start of, if it is one: kept only if that run is made, or started.
  const events = calls.flatMap((call): { event: Omit<EventRow, "seq">; creates: string | null; starts: string | null }[] =>
    call.kind === "create"
      ? [{ event: call.event, creates: call.run.id, starts: null }, ...(call.start ?? []).map((change) => ({ event: change.event, creates: null, starts: call.run.id }))]
      : call.changes.map((change) => ({ event: change.event, creates: null, starts: null })),
  );
  const data = events.map(({ event }) => toJson(event.data));
  const columns = [
    events.map(({ event }) => event.run_id),
    events.map(({ event }) => event.ts),
    events.map(({ event }) => event.type),
    events.map(({ event }) => event.task_path ?? null),
    events.map(({ event }) => event.attempt ?? null),
    data,
  ].map((values, index) => list(values, EVENT_TYPES[index]!));
  // Numbered 1, 2, … in order among the events kept (all of them, or none, when no run is made here).
  const kept =
    creations.length === 0
      ? `SELECT e.*, e.ord AS n FROM unnest(${columns.join(", ")}) WITH ORDINALITY AS e (run_id, ts, type, task_path, attempt, data, ord) WHERE ${go}`
      : `SELECT e.*, row_number() OVER (ORDER BY e.ord) AS n
  FROM unnest(${columns.join(", ")}, ${list(events.map(({ creates }) => creates), "text")}, ${list(events.map(({ starts }) => starts), "text")})
    WITH ORDINALITY AS e (run_id, ts, type, task_path, attempt, data, creates, starts, ord)
  WHERE CASE WHEN e.creates IS NOT NULL THEN e.creates IN (SELECT id FROM made)
    WHEN e.starts IS NOT NULL THEN ${starting.length > 0 ? "e.starts IN (SELECT id FROM started)" : "false"} ELSE ${go} END`;
  parts.push(
    `kept AS (${kept})`,
    // The rows first, then the counter: reading the parts' results makes them run (and wait for any lock they need) before its lock is taken.
    `counter AS (UPDATE seq_counters SET value = value + (SELECT count(*) FROM kept)
  WHERE stream = 'events' AND EXISTS (SELECT 1 FROM kept)${writes.length > 0 ? ` AND ${writes.map((name) => `(SELECT count(*) FROM ${name})`).join(" + ")} >= 0` : ""}
  RETURNING value)`,
    `appended AS (INSERT INTO events (seq, run_id, ts, type, task_path, attempt, data)
  SELECT c.value - (SELECT count(*) FROM kept) + k.n, k.run_id, k.ts, k.type, k.task_path, k.attempt, k.data FROM counter AS c, kept AS k
  RETURNING seq)`,
  );
  const made = creations.length > 0 ? "ARRAY(SELECT id FROM made)" : "ARRAY[]::text[]";
  const places = placing.length > 0 ? ", (SELECT ids FROM placed) AS placed, (SELECT outcomes FROM placed) AS places" : "";
  const started = starting.length > 0 ? ", ARRAY(SELECT id FROM started) AS started" : "";
  const statement = `WITH ${parts.join(",\n")}\nSELECT ${go} AS ok, ${made} AS made, ARRAY(SELECT seq FROM appended ORDER BY seq) AS seqs${places}${started}`;
  const row = (await sql.one(prepared(statement), params.values))!;
  if (row.ok !== true) throw new RunNotFoundError(await missingRun(sql, changes));
  const placed = new Map<string, PlaceTaken>();
  const outcomesOf = (row.places as (PlaceTaken | "gone")[] | null | undefined) ?? [];
  ((row.placed as string[] | null | undefined) ?? []).forEach((id, index) => {
    const outcome = outcomesOf[index];
    if (outcome === "running" || outcome === "busy") placed.set(id, outcome);
  });
  // BIGINT[] comes back as text: node-pg's BIGINT parser (pool.ts) is for single values.
  return outcomes(calls, new Set(row.made as string[]), new Set((row.started as string[] | undefined) ?? []), (row.seqs as string[]).map(Number), data, placed);
}

/**
 * The places of the new runs that ask for one, taken as spire_take_places
 * would once they are made (the function sees this statement's runs), and
 * before the events' counter (see `counter`); none when any of their queues
 * is held at this instant (spire_try_places, migration 11, says why).
 */
function placedPart(list: (values: unknown[], type: string) => string, placing: readonly Creation[]): string {
  const columns = [
    list(placing.map((call) => call.run.id), "text"),
    list(placing.map((call) => call.run.namespace), "text"),
    list(placing.map((call) => call.run.pipeline), "text"),
    list(placing.map((call) => call.run.partition), "text"),
    list(placing.map((call) => call.placeUnder), "integer"),
  ];
  const ordered = (column: string, as: string) => `array_agg(p.${column} ORDER BY p.ord) AS ${as}`;
  return `placed AS (SELECT w.ids, spire_try_places(w.ids, w.namespaces, w.pipelines, w.partitions, w.concurrencies) AS outcomes
  FROM (SELECT ${ordered("id", "ids")}, ${ordered("namespace", "namespaces")}, ${ordered("pipeline", "pipelines")}, ${ordered("part", "partitions")}, ${ordered("concurrency", "concurrencies")}
    FROM unnest(${columns.join(", ")}) WITH ORDINALITY AS p (id, namespace, pipeline, part, concurrency, ord) WHERE p.id IN (SELECT id FROM made)) AS w
  WHERE w.ids IS NOT NULL)`;
}

/**
 * The new runs that took a running place and have their start with them
 * start (spire_start_new_runs, migration 12, which sees the rows `made`
 * wrote), with their first attempts' rows; the parts after it read only
 * what it returns.
 */
function startedParts(params: Params, list: (values: unknown[], type: string) => string, starting: readonly Creation[]): string[] {
  const starts = starting.map((call) => ({ id: call.run.id, ...newRunStart(call.start!) }));
  const columns = [list(starts.map((start) => start.id), "text"), list(starts.map((start) => start.state), "text"), list(starts.map((start) => start.startedAt), "bigint")];
  return [
    `started AS (SELECT unnest(spire_start_new_runs(s.ids, s.states, s.started)) AS id
  FROM (SELECT array_agg(n.id) AS ids, array_agg(n.state) AS states, array_agg(n.started_at) AS started
    FROM unnest(${columns.join(", ")}) AS n (id, state, started_at)
    WHERE n.id IN (SELECT o.id FROM placed, unnest(placed.ids, placed.outcomes) AS o (id, outcome) WHERE o.outcome = 'running')) AS s)`,
    `start_attempts AS (${attemptsInsert(params, starts.flatMap((start) => start.attempts), "t.run_id IN (SELECT id FROM started)")}
  RETURNING 1)`,
  ];
}

/** The new runs, each only if its definition is as the engine saw it (when it says what it saw). */
function madePart(list: (values: unknown[], type: string) => string, creations: readonly Creation[], go: string): string {
  const values = RUN_INSERT_COLUMNS.map(([, type], index) => list(creations.map((call) => runValues(call.run)[index]), type));
  const seen = creations.map((call) => call.creation.madeFrom);
  const checks = [
    list(seen.map((madeFrom) => madeFrom !== undefined), "boolean"),
    list(seen.map((madeFrom) => madeFrom?.digest ?? null), "text"),
    list(seen.map((madeFrom) => madeFrom?.paused ?? null), "boolean"),
    list(seen.map((madeFrom) => madeFrom?.namespaceUpdatedAt ?? -1), "bigint"),
  ];
  return `made AS (INSERT INTO runs (${RUN_NAMES.join(", ")})
  SELECT ${RUN_NAMES.map((column) => `n.${column}`).join(", ")}
  FROM unnest(${values.join(", ")}, ${checks.join(", ")})
    AS n (${RUN_NAMES.join(", ")}, checked, digest, paused, namespace_updated_at)
  WHERE ${go} AND (NOT n.checked OR (${stillAsSeenSql({ namespace: "n.namespace", pipeline: "n.pipeline", digest: "n.digest", paused: "n.paused", namespaceUpdatedAt: "n.namespace_updated_at" })}))
  RETURNING id)`;
}

/** The audit entries of the runs made, their seqs from the audit's own counter. */
function auditParts(list: (values: unknown[], type: string) => string, audited: readonly Creation[]): string[] {
  const entries = audited.map((call) => ({ run: call.run.id, ...call.creation.audit! }));
  const columns = [
    list(entries.map((entry) => entry.run), "text"),
    list(entries.map((entry) => entry.ts), "bigint"),
    list(entries.map((entry) => entry.actor), "text"),
    list(entries.map((entry) => entry.action), "text"),
    list(entries.map((entry) => entry.target), "text"),
    list(entries.map((entry) => toJson(entry.details)), "text"),
  ];
  return [
    `audits AS (SELECT a.*, row_number() OVER (ORDER BY a.ord) AS n
  FROM unnest(${columns.join(", ")}) WITH ORDINALITY AS a (run_id, ts, actor, action, target, details, ord)
  WHERE a.run_id IN (SELECT id FROM made))`,
    `audit_counter AS (UPDATE seq_counters SET value = value + (SELECT count(*) FROM audits) WHERE stream = 'audit' AND EXISTS (SELECT 1 FROM audits) RETURNING value)`,
    `audited AS (INSERT INTO audit (seq, ts, actor, action, target, details)
  SELECT c.value - (SELECT count(*) FROM audits) + a.n, a.ts, a.actor, a.action, a.target, a.details FROM audit_counter AS c, audits AS a
  RETURNING 1)`,
  ];
}

/** The stored events of each call, given the runs made and started and the seqs handed out (in the order of the events kept). */
function outcomes(
  calls: readonly BatchCall[],
  made: ReadonlySet<string>,
  started: ReadonlySet<string>,
  seqs: readonly number[],
  data: readonly string[],
  placed: ReadonlyMap<string, PlaceTaken>,
): BatchOutcome[] {
  let next = 0;
  let index = 0;
  // Parse back what was stored, so the caller sees exactly what readers will.
  const stored = (event: Omit<EventRow, "seq">): EventRow => ({ ...event, seq: seqs[next++]!, data: JSON.parse(data[index++]!) as EventRow["data"] });
  return calls.map((call) => {
    if (call.kind === "change") return { events: call.changes.map((change) => stored(change.event)) };
    const place = placed.get(call.run.id);
    const start = call.start ?? [];
    if (!made.has(call.run.id)) {
      index += 1 + start.length;
      return new DefinitionChangedError(call.run.namespace, call.run.pipeline);
    }
    const events = [stored(call.event)];
    if (!started.has(call.run.id)) {
      index += start.length;
      return { events, ...(place ? { place } : {}) };
    }
    return { events, ...(place ? { place } : {}), started: start.map((change) => stored(change.event)) };
  });
}

async function missingRun(sql: Sql, changes: readonly StateChange[]): Promise<string> {
  const ids = [...new Set(changes.flatMap((change) => (change.run ? [change.run.id] : [])))];
  const known = new Set((await sql.rows("SELECT id FROM runs WHERE id = ANY($1::text[])", [ids])).map((row) => text(row, "id")));
  return ids.find((id) => !known.has(id)) ?? ids[0] ?? "";
}
