/** A change of the clocks (DST) before a fire time, in the zone the engine reads the trigger in, as the engine found it. */
import type { OffsetChange, PipelineSummary, TriggerDef } from "../../api/types";

/** The zone a trigger's times are read in, in words. */
export function zoneName(trigger: TriggerDef | undefined): string {
  return trigger?.timezone ?? "the engine's time zone";
}

export function ClockChange({ change, zone }: { change: OffsetChange; zone: string }) {
  return (
    <span class="tag tag--warn">
      clocks change in {zone}: {change.before} → {change.after}
    </span>
  );
}

/** The change of the clocks before a pipeline's next fire time (that of the trigger that fires first), where the engine found one. */
export function nextClockChange(pipeline: PipelineSummary): { change: OffsetChange; zone: string } | null {
  const index = pipeline.trigger_info.findIndex((reading) => reading.next_fire_at !== null && reading.next_fire_at === pipeline.next_fire_at);
  const change = index < 0 ? null : pipeline.trigger_info[index]!.next_offset_change;
  return change ? { change, zone: zoneName(pipeline.triggers[index]) } : null;
}
