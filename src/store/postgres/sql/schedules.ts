/** Trigger schedules and their slots: each slot starts at most one run (SPEC §6), however many engines ask. */
import type { Sql } from "../pool.js";
import type { ClaimResult, DefinitionSeen, EventRow, ScheduleRow, SlotClaim } from "../../port.js";
import { refusedClaim, scheduleFromRow } from "../../rows.js";
import { insertRun } from "./runs.js";
import { appendEvents } from "./events.js";
import { appendMissed } from "./missed.js";
import { stillAsSeenSql } from "./still-as-seen.js";

const KEY = "namespace = $1 AND pipeline = $2 AND trigger_key = $3";

/** Call in a transaction: the read after the insert sees a row another engine inserted at the same time (READ COMMITTED). */
export async function ensureSchedule(sql: Sql, namespace: string, pipeline: string, triggerKey: string, anchor: number): Promise<ScheduleRow> {
  await sql.changes("INSERT INTO schedules (namespace, pipeline, trigger_key, anchor, last_slot) VALUES ($1, $2, $3, $4, NULL) ON CONFLICT DO NOTHING", [namespace, pipeline, triggerKey, anchor]);
  return scheduleFromRow((await sql.one(`SELECT * FROM schedules WHERE ${KEY}`, [namespace, pipeline, triggerKey]))!);
}

/**
 * The guard of a claim: it moves last_slot forwards or changes nothing. The
 * UPDATE locks the schedule's row; another engine's UPDATE of it waits for
 * this transaction and then checks the condition again on the row as this
 * one left it (READ COMMITTED), so only one of them passes.
 */
const GUARD = `UPDATE schedules SET last_slot = $4 WHERE ${KEY} AND (last_slot IS NULL OR last_slot < $5)`;
/** What a claim's runs were made from (SlotClaim.madeFrom), in the three parameters from `$first`: the guard checks it in its own statement. */
const stillAsSeen = (first: number) => stillAsSeenSql({ namespace: "$1", pipeline: "$2", digest: `$${first}::text`, paused: `$${first + 1}::boolean`, namespaceUpdatedAt: `$${first + 2}::bigint` });
const GUARD_AS_SEEN = `${GUARD} AND ${stillAsSeen(6)}`;

/**
 * Call in a transaction. First every guard, in key order (two engines lock
 * the same schedules in the same order, not into a deadlock); then the runs
 * and slots of the claims that passed; the events and missed records last,
 * in the order of `claims`, as they hold their streams' counters to the commit.
 * A claim that passed its guard cannot meet the slots' primary key (every
 * slot it holds is newer than last_slot was): the key backs the guard up.
 */
export async function claimSlots(sql: Sql, claims: SlotClaim[], at: number): Promise<ClaimResult[]> {
  const claimed = new Array<boolean>(claims.length).fill(false);
  for (const index of lockOrder(claims)) claimed[index] = await guard(sql, claims[index]!);
  const events: Omit<EventRow, "seq">[] = [];
  for (const [index, claim] of claims.entries()) {
    if (!claimed[index] || claim.runs.length === 0) continue;
    for (const { run, event } of claim.runs) {
      await insertRun(sql, run);
      events.push(event);
    }
    await sql.changes(
      `INSERT INTO slots (namespace, pipeline, trigger_key, slot, outcome, run_id, recorded_at)
       SELECT $1::text, $2::text, $3::text, slot, 'run', run_id, $4::bigint FROM unnest($5::bigint[], $6::text[]) AS s (slot, run_id)`,
      [claim.namespace, claim.pipeline, claim.trigger_key, at, claim.runs.map((entry) => entry.slot), claim.runs.map((entry) => entry.run.id)],
    );
  }
  const stored = await appendEvents(sql, events);
  let next = 0;
  const results: ClaimResult[] = [];
  for (const [index, claim] of claims.entries()) {
    if (!claimed[index]) {
      results.push(await refusal(sql, claim));
      continue;
    }
    const own = stored.slice(next, (next += claim.runs.length));
    if (!claim.missed) {
      results.push({ claimed: true, events: own });
      continue;
    }
    const { namespace, pipeline, trigger_key } = claim;
    const missed = await appendMissed(sql, { ...claim.missed, namespace, pipeline, trigger_key, detected_at: at, run_id: claim.runs.at(-1)?.run.id ?? null });
    results.push({ claimed: true, events: own, missed });
  }
  return results;
}

/** Checks a claim and runs its guard: whether its slots are this call's to write. */
async function guard(sql: Sql, claim: SlotClaim): Promise<boolean> {
  const { runs, missed } = claim;
  const slots = runs.map((entry) => entry.slot);
  if (slots.some((slot, index) => index > 0 && slot <= slots[index - 1]!)) throw new Error("claimSlots: run slots must be given in ascending order");
  if (missed && (missed.first_slot > missed.last_slot || missed.count < 1)) throw new Error("claimSlots: a missed record needs count ≥ 1 and first_slot ≤ last_slot");
  if (slots.length === 0 && !missed) return true;
  const oldest = Math.min(slots[0] ?? Infinity, missed?.first_slot ?? Infinity);
  const newest = Math.max(slots.at(-1) ?? -Infinity, missed?.last_slot ?? -Infinity);
  const key = [claim.namespace, claim.pipeline, claim.trigger_key, newest, oldest];
  if (!claim.madeFrom) return (await sql.changes(GUARD, key)) > 0;
  return (await sql.changes(GUARD_AS_SEEN, [...key, ...seenValues(claim.madeFrom)])) > 0;
}

/** Rare (two engines at one slot, a claim overlapping an earlier one, a definition changed meanwhile): a second look at what refused it. */
async function refusal(sql: Sql, claim: SlotClaim): Promise<ClaimResult> {
  const key = [claim.namespace, claim.pipeline, claim.trigger_key];
  if (!claim.madeFrom) return refusedClaim(await sql.one(`SELECT last_slot FROM schedules WHERE ${KEY}`, key));
  const row = await sql.one(`SELECT (SELECT last_slot FROM schedules WHERE ${KEY}) AS last_slot, ${stillAsSeen(4)} AS same`, [...key, ...seenValues(claim.madeFrom)]);
  return row!.same === false ? { claimed: false, events: [], changed: true } : refusedClaim(row);
}

const seenValues = (seen: DefinitionSeen) => [seen.digest, seen.paused ?? null, seen.namespaceUpdatedAt ?? -1];

/** Indexes of `claims` sorted by their schedule's key: any order every engine follows will do. */
function lockOrder(claims: readonly SlotClaim[]): number[] {
  const keys = claims.map((claim) => JSON.stringify([claim.namespace, claim.pipeline, claim.trigger_key]));
  return keys.map((_, index) => index).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
}

export async function listSchedules(sql: Sql, namespace?: string): Promise<ScheduleRow[]> {
  const rows =
    namespace === undefined
      ? await sql.rows("SELECT * FROM schedules ORDER BY namespace, pipeline, trigger_key")
      : await sql.rows("SELECT * FROM schedules WHERE namespace = $1 ORDER BY pipeline, trigger_key", [namespace]);
  return rows.map(scheduleFromRow);
}
