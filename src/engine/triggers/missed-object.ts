/** A `missed` record as clients see it (API, CLI): times in ISO 8601. */
import type { MissedRow } from "../../store/port.js";

export interface MissedObject {
  seq: number;
  namespace: string;
  pipeline: string;
  trigger_key: string;
  detected_at: string;
  /** How many slots did not run; at least this many when count_exact is false. */
  count: number;
  count_exact: boolean;
  first_slot: string;
  last_slot: string;
  /** Up to 100 of them, the newest, oldest first. */
  slots: string[];
  reason: string;
  /** The run the same catch-up started (catchup: latest or all), if any. */
  run_id: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toMissedObject(row: MissedRow): MissedObject {
  return { ...row, detected_at: iso(row.detected_at), first_slot: iso(row.first_slot), last_slot: iso(row.last_slot), slots: row.slots.map(iso) };
}
