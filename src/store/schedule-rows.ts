/**
 * The rows of time triggers' schedules in the store: where each schedule
 * stands, the slots a look claims (runs and missed slots, stored together so
 * that a slot starts at most one run however many engines ask) and the
 * `missed` records. Part of the Store port (port.ts).
 */
import type { DefinitionSeen, EventRow, RunRow } from "./port.js";

/** Where a trigger's schedule stands: its anchor (first seen) and the newest slot handled. */
export interface ScheduleRow {
  namespace: string;
  pipeline: string;
  /** Identifies one trigger of a pipeline (e.g. its index and kind). */
  trigger_key: string;
  anchor: number;
  last_slot: number | null;
}

/** Due slots of one trigger that will not run, as one record however many there are. */
export interface MissedSlots {
  /** How many slots; a lower bound when `count_exact` is false (too many to walk). */
  count: number;
  count_exact: boolean;
  first_slot: number;
  last_slot: number;
  /** Some of them (the newest), ascending. */
  slots: number[];
  reason: string;
}

/** A `missed` record: slots of a trigger that did not run, found at `detected_at`. */
export interface MissedRow extends MissedSlots {
  /** Monotonic across the store; the paging cursor. */
  seq: number;
  namespace: string;
  pipeline: string;
  trigger_key: string;
  detected_at: number;
  /** The run the same look started (catchup latest or all), if any. */
  run_id: string | null;
}

export interface MissedQuery {
  namespace?: string;
  pipeline?: string;
  run_id?: string;
  limit: number;
  /** Records with seq strictly below this one. */
  before?: number;
}

/** What one trigger claims at one look: the runs of its due slots and the slots it missed. */
export interface SlotClaim {
  namespace: string;
  pipeline: string;
  trigger_key: string;
  /** Ascending by slot; each run with its `run.created` event. */
  runs: { slot: number; run: RunRow; event: Omit<EventRow, "seq"> }[];
  missed?: MissedSlots;
  /**
   * The definition its runs were made from: the claim is refused (`changed`)
   * unless the store still says the same. An engine that had not yet heard
   * of a change (another engine's pause, say) never starts a run of it.
   */
  madeFrom?: DefinitionSeen;
}

export interface ClaimResult {
  /** False when another engine (or an earlier claim) handled any of its slots: nothing of it was written. */
  claimed: boolean;
  /** The stored `run.created` events of its runs (empty when not claimed). */
  events: EventRow[];
  missed?: MissedRow;
  /**
   * When not claimed: the newest slot its schedule had handled, as stored
   * (absent when the schedule is gone). A claim can be refused for its
   * oldest slot alone: the slots after this one are still unhandled, and the
   * scheduler must go on from here, not from the newest slot it asked for.
   */
  last_slot?: number;
  /** Refused because the claim's definition is no longer the stored one (SlotClaim.madeFrom): read them again. */
  changed?: true;
}
