/**
 * When the pipeline fires next (relative, the exact time on hover, a change
 * of the clocks marked), and the slots its time triggers passed over, each
 * with the reason the engine recorded: "why didn't it run at 03:00?".
 */
import type { PipelineDetail, TriggerReading } from "../../api/types";
import { shortRunId } from "../../format/run-id";
import { paths } from "../../router/routes";
import { formatAbsolute, formatRelative, offsetOf } from "../../time/format";
import { now } from "../../time/now";
import { showUtc } from "../../time/zone-choice";
import { ClockChange, zoneName } from "../pipelines/clock-change";
import type { MissedRecord } from "./api";

export const NEXT_COUNT = 10;

interface Upcoming {
  at: string;
  /** The trigger's description, where the pipeline has several time triggers. */
  trigger?: string;
  /** A DST change before this slot, in the trigger's zone, as the engine computed it. */
  change?: { before: string; after: string; zone: string };
}

/** The next fire times: each time trigger's next slots (as the engine lists them), merged. */
export function upcoming(pipeline: PipelineDetail): Upcoming[] {
  const readings = pipeline.trigger_info.filter((reading) => reading.next.length > 0);
  const several = readings.length > 1;
  return readings
    .flatMap((reading) => {
      const zone = zoneName(pipeline.triggers[Number(reading.key.split(":")[0])]);
      return reading.next.map((slot) => ({ at: slot.at, trigger: several ? reading.description : undefined, change: slot.offset_change ? { ...slot.offset_change, zone } : undefined }));
    })
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .slice(0, NEXT_COUNT);
}

/** For each time, the change of this browser's UTC offset since the time before it (or since now, for the first). */
function localChanges(times: string[], from: number): ({ before: string; after: string } | undefined)[] {
  let previous = offsetOf(new Date(from));
  return times.map((time) => {
    const offset = offsetOf(new Date(time));
    const change = offset === previous ? undefined : { before: previous, after: offset };
    previous = offset;
    return change;
  });
}

export function NextFireTimes({ pipeline }: { pipeline: PipelineDetail }) {
  const utc = showUtc.value;
  // The clock signal says when to re-render; times count from the real time (a record made a moment ago never reads as future).
  const clock = Math.max(now.value, Date.now());
  const times = upcoming(pipeline);
  // The engine marks DST changes in each trigger's zone; a change of the zone the times are shown in (this browser's) is marked here.
  const changes = utc ? [] : localChanges(times.map((time) => time.at), clock);
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
              {time.change && <ClockChange change={time.change} zone={time.change.zone} />}
              {changes[index] && !(time.change && time.change.before === changes[index]!.before && time.change.after === changes[index]!.after) && (
                <ClockChange change={changes[index]!} zone="your time zone" />
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function slotRange(record: MissedRecord, utc: boolean): string {
  if (record.first_slot === record.last_slot) return formatAbsolute(record.first_slot, utc);
  return `${formatAbsolute(record.first_slot, utc)} to ${formatAbsolute(record.last_slot, utc)}`;
}

/** "0:cron" → that trigger in the engine's words (or the key, for a trigger the pipeline no longer has). */
function triggerName(key: string, readings: TriggerReading[]): string {
  return readings.find((reading) => reading.key === key)?.description ?? key;
}

interface MissedProps {
  missed: MissedRecord[] | undefined;
  readings: TriggerReading[];
  error: string | null;
  hasMore: boolean;
  onMore: () => void;
}

export function MissedSlots({ missed, readings, error, hasMore, onMore }: MissedProps) {
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
                of “{triggerName(record.trigger_key, readings)}”: {slotRange(record, utc)}
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
