/**
 * A pipeline as lists show it (GET /pipelines, pause, resume): its row, what
 * the scheduler says of its triggers, and its newest runs, read for all
 * pipelines at once (Store.listRecentRuns) rather than one query each: a
 * home page of 1,000 pipelines is one read of the store.
 */
import type { PipelineDef, TriggerDef } from "../spec/schema.js";
import type { PipelineHead, PipelineRow, RecentRunTuple, RecentRuns, Store } from "../store/port.js";
import { isoTime } from "../time/iso.js";
import { describeTrigger, offsetChange } from "../time/index.js";
import { iso } from "./run-object.js";
import type { PipelineSummary, RecentRun, TriggerReading } from "./service.js";

export interface SummaryContext {
  defaultZone: string;
  /** When a trigger (by key) of a pipeline next fires, from the scheduler, and the zone its slots are read in; undefined when it does not fire. */
  nextFire(namespace: string, name: string, key: string): { at: number; zone: string } | undefined;
  /** Now, for the offset change before each next fire time. */
  now: number;
  /** Why the engine paused it, when it did and did not record it with the pause (a lease lapsed before this field existed). */
  leaseReason(namespace: string, name: string): string | undefined;
}

/** Summaries of `rows`, each with its last run and, when `recent` > 0, its newest `recent` runs. */
export async function summarisePipelines(store: Store, rows: readonly PipelineHead[], recent: number, context: SummaryContext, namespace?: string): Promise<PipelineSummary[]> {
  const read = rows.length === 0 ? [] : await store.listRecentRuns({ perPipeline: Math.max(1, recent), ...(namespace !== undefined ? { namespace } : {}) });
  const byPipeline = new Map(read.map((runs) => [`${runs.namespace}/${runs.pipeline}`, runs]));
  return rows.map((row) => summarise(row, byPipeline.get(`${row.namespace}/${row.name}`), recent, context));
}

/** What lists need of a full row (one pipeline read whole: its page, a pause). */
export function headOf(row: PipelineRow): PipelineHead {
  const { definition, source: _shownByDetail, ...rest } = row;
  const { description, triggers } = definition as PipelineDef;
  return { ...rest, description: description ?? null, triggers };
}

export function summarise(row: PipelineHead, read: RecentRuns | undefined, recent: number, context: SummaryContext): PipelineSummary {
  const triggers = row.triggers as TriggerDef[];
  // Ordered here, newest first (by created_at, then id): the store's aggregate keeps no order (see Store.listRecentRuns).
  const newest = (read?.runs ?? []).sort((a, b) => b[2] - a[2] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
  const last = newest[0];
  const readings = triggerReadings(row, context);
  const fireTimes = readings.map((reading) => reading.next_fire_at).filter((at): at is string => at !== null);
  return {
    namespace: row.namespace,
    name: row.name,
    description: row.description,
    paused: row.paused,
    paused_reason: row.paused ? (row.paused_reason ?? context.leaseReason(row.namespace, row.name) ?? null) : null,
    paused_at: row.paused ? iso(row.paused_at ?? null) : null,
    paused_by: row.paused ? (row.paused_by ?? null) : null,
    triggers,
    trigger_info: readings,
    next_fire_at: row.paused ? null : (fireTimes.sort()[0] ?? null),
    last_run: last ? { id: last[0], state: last[1], finished_at: last[4] === null ? null : isoTime(last[4]) } : null,
    ...(recent > 0 ? { recent: newest.slice(0, recent).map(recentRun) } : {}),
    updated_at: isoTime(row.updated_at),
  };
}

function recentRun([id, state, createdAt, startedAt, finishedAt]: RecentRunTuple): RecentRun {
  return { id, state, created_at: isoTime(createdAt), duration_ms: startedAt === null || finishedAt === null ? null : finishedAt - startedAt };
}

function triggerReadings(row: PipelineHead, context: SummaryContext): TriggerReading[] {
  const triggers = row.triggers as TriggerDef[];
  const descriptions = describedTriggers(row.digest, triggers, context.defaultZone);
  return triggers.map((trigger, index) => {
    const key = `${index}:${trigger.kind}`;
    const next = row.paused ? undefined : context.nextFire(row.namespace, row.name, key);
    return {
      key,
      kind: trigger.kind,
      description: descriptions[index]!,
      next_fire_at: next === undefined ? null : isoTime(next.at),
      next_offset_change: next === undefined ? null : (offsetChange(next.zone, context.now, next.at) ?? null),
    };
  });
}

/**
 * Readings by definition digest: a cron's reading takes some 30 µs
 * (cronstrue), 30 ms for a page of 1,000 pipelines; a definition's digest
 * names its triggers, and the engine's default zone does not change.
 */
const readingsByDigest = new Map<string, string[]>();
const READINGS_KEPT = 10_000;

function describedTriggers(digest: string, triggers: readonly TriggerDef[], defaultZone: string): string[] {
  const key = `${defaultZone}\u0000${digest}`;
  let readings = readingsByDigest.get(key);
  if (readings === undefined) {
    readings = triggers.map((trigger) => {
      try {
        return describeTrigger(trigger, { defaultZone });
      } catch {
        // A definition applied before today's checks: said as its kind rather than failing the whole list.
        return `a ${trigger.kind} trigger`;
      }
    });
    if (readingsByDigest.size >= READINGS_KEPT) readingsByDigest.delete(readingsByDigest.keys().next().value!);
    readingsByDigest.set(key, readings);
  }
  return readings;
}
