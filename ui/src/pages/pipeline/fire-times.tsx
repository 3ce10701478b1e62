/**
 * When the pipeline fires next (relative, the exact time on hover, a change
 * of the clocks marked), and the slots its time triggers passed over, each
 * with the reason the engine recorded: "why didn't it run at 03:00?".
 */
import type { PipelineDetail, TriggerDef } from "../../api/types";
import { shortRunId } from "../../format/run-id";
import { paths } from "../../router/routes";
import { formatAbsolute, formatRelative, offsetOf } from "../../time/format";
import { now } from "../../time/now";
import { showUtc } from "../../time/zone-choice";
import { triggerWords } from "../pipelines/trigger-words";
import type { MissedRecord } from "./api";

export const NEXT_COUNT = 10;

/** A trigger as a newer engine reads it (GET /pipelines/{ns}/{name}: trigger_info), with its next slots. */
export interface TriggerReading {
  key: string;
  kind: string;
  description: string;
  next_fire_at: string | null;
  next?: { at: string; offset: string; offset_change: { before: string; after: string } | null }[];
}

export type WithReadings = PipelineDetail & { trigger_info?: TriggerReading[] };

interface Upcoming {
  at: string;
  /** The trigger's description, where the pipeline has several time triggers. */
  trigger?: string;
  /** A DST change before this slot, in the trigger's zone, as the engine computed it. */
  change?: { before: string; after: string; zone: string };
}

/** The next fire times: each time trigger's next slots, merged, where the engine lists them; else its one next time. */
export function upcoming(pipeline: WithReadings): { times: Upcoming[]; fromEngine: boolean } {
  const readings = pipeline.trigger_info?.filter((reading) => Array.isArray(reading.next)) ?? [];
  if (readings.length > 0) {
    const several = readings.filter((reading) => reading.next!.length > 0).length > 1;
    const times = readings
      .flatMap((reading) => {
        const zone = pipeline.triggers[Number(reading.key.split(":")[0])]?.timezone ?? "the engine's time zone";
        return reading.next!.map((slot) => ({ at: slot.at, trigger: several ? reading.description : undefined, change: slot.offset_change ? { ...slot.offset_change, zone } : undefined }));
      })
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
      .slice(0, NEXT_COUNT);
    return { times, fromEngine: true };
  }
  return { times: pipeline.next_fire_at ? [{ at: pipeline.next_fire_at }] : [], fromEngine: false };
}

const offsetFormats = new Map<string, Intl.DateTimeFormat | null>();

/** The UTC offset of a zone at an instant, as +01:00 (undefined for a zone this browser does not know). */
export function offsetIn(zone: string | undefined, at: Date): string | undefined {
  if (zone === undefined) return offsetOf(at);
  let format = offsetFormats.get(zone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    } catch {
      format = null;
    }
    offsetFormats.set(zone, format);
  }
  const name = format?.formatToParts(at).find((part) => part.type === "timeZoneName")?.value;
  if (!name) return undefined;
  const offset = name.replace(/^GMT/, "");
  return offset === "" ? "+00:00" : offset;
}

interface ZoneChange {
  zone: string;
  from: string;
  to: string;
}

/** For each time, the zones whose clocks changed since the time before it (or since now, for the first). */
export function clockChanges(times: string[], zones: (string | undefined)[], from: number): ZoneChange[][] {
  let previous = new Date(from);
  return times.map((time) => {
    const at = new Date(time);
    const changes: ZoneChange[] = [];
    for (const zone of zones) {
      const before = offsetIn(zone, previous);
      const after = offsetIn(zone, at);
      if (before && after && before !== after) changes.push({ zone: zone ?? "your time zone", from: before, to: after });
    }
    previous = at;
    return changes;
  });
}

export function NextFireTimes({ pipeline }: { pipeline: WithReadings }) {
  const utc = showUtc.value;
  // The clock signal says when to re-render; times count from the real time (a record made a moment ago never reads as future).
  const clock = Math.max(now.value, Date.now());
  const { times, fromEngine } = upcoming(pipeline);
  // Where the engine marks DST changes (in each trigger's zone) those are shown; the zone the times are shown in is checked here.
  const triggerZones = fromEngine ? [] : [...new Set(pipeline.triggers.map((trigger) => trigger.timezone).filter((zone): zone is string => typeof zone === "string"))];
  const zones: (string | undefined)[] = [...triggerZones, ...(utc ? [] : [undefined])];
  const changes = clockChanges(
    times.map((time) => time.at),
    zones,
    clock,
  );
  const hasTimeTrigger = pipeline.triggers.some((trigger) => trigger.kind === "cron" || trigger.kind === "every" || trigger.kind === "at");

  return (
    <section class="panel" aria-labelledby="next-title">
      <h2 id="next-title">Next {times.length > 1 ? `${times.length} fire times` : "fire time"}</h2>
      {times.length === 0 ? (
        <p class="muted">{pipeline.paused && hasTimeTrigger ? "None while it is paused." : hasTimeTrigger ? "Its time triggers fire no more." : "It has no time trigger: it runs by hand, on a webhook, a file change or another pipeline."}</p>
      ) : (
        <ol class="fire-times">
          {times.map((time, index) => (
            <li key={`${time.at}:${time.trigger ?? ""}`}>
              {/* Past a month the relative reading is the date itself: then the exact time alone. */}
              {/^\d{4}-/.test(formatRelative(time.at, clock, utc)) ? (
                <time dateTime={time.at}>{formatAbsolute(time.at, utc)}</time>
              ) : (
                <>
                  <time dateTime={time.at} title={formatAbsolute(time.at, utc)}>
                    {formatRelative(time.at, clock, utc)}
                  </time>
                  <span class="fire-times__exact muted">{formatAbsolute(time.at, utc)}</span>
                </>
              )}
              {time.trigger && <span class="fire-times__trigger muted"> · {time.trigger}</span>}
              {time.change && (
                <span class="tag tag--warn">
                  clocks change in {time.change.zone}: {time.change.before} → {time.change.after}
                </span>
              )}
              {changes[index]!
                .filter((change) => !(time.change && time.change.before === change.from && time.change.after === change.to))
                .map((change) => (
                <span key={change.zone} class="tag tag--warn">
                  clocks change in {change.zone}: {change.from} → {change.to}
                </span>
              ))}
            </li>
          ))}
        </ol>
      )}
      {!fromEngine && times.length === 1 && hasTimeTrigger && (
        <p class="muted fire-times__note">
          This engine gives only the next time; <code>spire next {pipeline.namespace}/{pipeline.name} -n 10</code> lists more.
        </p>
      )}
    </section>
  );
}

function slotRange(record: MissedRecord, utc: boolean): string {
  if (record.first_slot === record.last_slot) return formatAbsolute(record.first_slot, utc);
  return `${formatAbsolute(record.first_slot, utc)} to ${formatAbsolute(record.last_slot, utc)}`;
}

/** "0:cron" → the pipeline's first trigger, in words (or the key, for a trigger it no longer has). */
function triggerName(key: string, triggers: TriggerDef[], utc: boolean): string {
  const index = Number(key.split(":")[0]);
  const trigger = Number.isInteger(index) ? triggers[index] : undefined;
  const kind = key.split(":")[1];
  return trigger && (!kind || trigger.kind === kind) ? triggerWords(trigger, (iso) => formatAbsolute(iso, utc)) : key;
}

interface MissedProps {
  missed: MissedRecord[] | undefined;
  triggers: TriggerDef[];
  error: string | null;
  hasMore: boolean;
  onMore: () => void;
}

export function MissedSlots({ missed, triggers, error, hasMore, onMore }: MissedProps) {
  const utc = showUtc.value;
  // The clock signal says when to re-render; times count from the real time (a record made a moment ago never reads as future).
  const clock = Math.max(now.value, Date.now());
  return (
    <section class="panel" aria-labelledby="missed-title">
      <h2 id="missed-title">Missed slots</h2>
      {error && (
        <p class="notice notice--error" role="alert">
          {error}
        </p>
      )}
      {missed === undefined ? (
        !error && <p class="loading">Loading…</p>
      ) : missed.length === 0 ? (
        <p class="muted">None: every slot of its time triggers ran, or it has none.</p>
      ) : (
        <ul class="missed">
          {missed.map((record) => (
            <li key={record.seq} class="missed__item">
              <p class="missed__what">
                <strong>
                  {record.count_exact ? "" : "at least "}
                  {record.count} {record.count === 1 ? "slot" : "slots"}
                </strong>{" "}
                of “{triggerName(record.trigger_key, triggers, utc)}”: {slotRange(record, utc)}
              </p>
              <p class="missed__why">{record.reason}</p>
              <p class="missed__when muted">
                Noticed <time dateTime={record.detected_at} title={formatAbsolute(record.detected_at, utc)}>{formatRelative(record.detected_at, clock, utc)}</time>
                {record.run_id && (
                  <>
                    {" · "}caught up by run <a href={paths.run(record.run_id)}>{shortRunId(record.run_id)}</a>
                  </>
                )}
              </p>
              {record.slots.length > 1 && (
                <details class="missed__slots">
                  <summary>
                    The {record.slots.length === record.count ? "" : `last ${record.slots.length} `}slots
                  </summary>
                  <ul>
                    {record.slots.map((slot) => (
                      <li key={slot}>{formatAbsolute(slot, utc)}</li>
                    ))}
                  </ul>
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
      {hasMore && (
        <button type="button" class="button button--small" onClick={onMore}>
          Older missed slots
        </button>
      )}
    </section>
  );
}
