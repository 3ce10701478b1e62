/**
 * A pipeline as lists show it (GET /pipelines, pause, resume): its row, what
 * the scheduler says of its triggers, and its newest runs, read for all
 * pipelines at once (Store.listRecentRuns) rather than one query each: a
 * home page of 1,000 pipelines is one read of the store.
 */
import type { PipelineDef, TriggerDef } from "../../definitions/schema.js";
import type { PipelineHead, PipelineRow, RecentRuns, Store } from "../../store/port.js";
import { isoTime } from "../../time/iso.js";
import { describeTrigger, isTimeTrigger, offsetChange } from "../../time/index.js";
import { iso } from "./run-object.js";
import type { PipelineSummary, TriggerReading } from "../service.js";
import { triggerKey } from "../../store/schedule-keys.js";

export interface SummaryContext {
  defaultZone: string;
  /** When a trigger (by key) of a pipeline next fires, from the scheduler, and the zone its slots are read in; undefined when it does not fire. */
  nextFire(namespace: string, name: string, key: string): { at: number; zone: string } | undefined;
  /** Now, for the offset change before each next fire time. */
  now: number;
}

/** A pipeline's summary (without `recent`) and its newest runs as the store wrote them (JSON text). */
export interface ListedPipeline {
  summary: PipelineSummary;
  recentJson: string;
}

/** Summaries of `rows`, each with its last run, and its newest `recent` runs (as JSON text: see Store.listRecentRuns). */
export async function listedPipelines(store: Store, rows: readonly PipelineHead[], recent: number, context: SummaryContext, namespace?: string): Promise<ListedPipeline[]> {
  const read = rows.length === 0 ? [] : await store.listRecentRuns({ perPipeline: recent, ...(namespace !== undefined ? { namespace } : {}) });
  const byPipeline = new Map(read.map((runs) => [`${runs.namespace}/${runs.pipeline}`, runs]));
  return rows.map((row) => {
    const runs = byPipeline.get(`${row.namespace}/${row.name}`);
    return { summary: summarise(row, runs, context), recentJson: runs?.runs_json ?? "[]" };
  });
}

/**
 * The JSON text of `{ pipelines: [...] }`, each summary with its `recent`
 * runs put in as the store wrote them: 20,000 runs of a page of 1,000
 * pipelines are never made into objects only to be written out again.
 */
export function listedPipelinesJson(listed: readonly ListedPipeline[], withRecent: boolean): string {
  const parts = listed.map(({ summary, recentJson }) => {
    const text = JSON.stringify(summary);
    return withRecent ? `${text.slice(0, -1)},"recent":${recentJson}}` : text;
  });
  return `{"pipelines":[${parts.join(",")}]}`;
}

/** What lists need of a full row (one pipeline read whole: its page, a pause). */
export function headOf(row: PipelineRow): PipelineHead {
  const { definition, source: _shownByDetail, ...rest } = row;
  const { description, triggers } = definition as PipelineDef;
  return { ...rest, description: description ?? null, triggers };
}

export function summarise(row: PipelineHead, read: RecentRuns | undefined, context: SummaryContext): PipelineSummary {
  const triggers = row.triggers as TriggerDef[];
  const last = read?.last ?? null;
  const readings = triggerReadings(row, context);
  const fireTimes = readings.map((reading) => reading.next_fire_at).filter((at): at is string => at !== null);
  return {
    namespace: row.namespace,
    name: row.name,
    description: row.description,
    paused: row.paused,
    paused_reason: row.paused ? (row.paused_reason ?? null) : null,
    paused_at: row.paused ? iso(row.paused_at ?? null) : null,
    paused_by: row.paused ? (row.paused_by ?? null) : null,
    triggers,
    trigger_info: readings,
    next_fire_at: row.paused ? null : (fireTimes.sort()[0] ?? null),
    last_run: last ? { id: last.id, state: last.state, finished_at: iso(last.finished_at) } : null,
    updated_at: isoTime(row.updated_at),
  };
}

function triggerReadings(row: PipelineHead, context: SummaryContext): TriggerReading[] {
  const triggers = row.triggers as TriggerDef[];
  const descriptions = describedTriggers(row.digest, triggers, context.defaultZone);
  return triggers.map((trigger, index) => {
    const key = triggerKey(index, trigger.kind);
    const next = row.paused ? undefined : context.nextFire(row.namespace, row.name, key);
    return {
      key,
      kind: trigger.kind,
      description: descriptions[index]!,
      zone: isTimeTrigger(trigger) ? (trigger.timezone ?? context.defaultZone) : null,
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
