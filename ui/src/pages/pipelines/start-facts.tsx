/** How a pipeline starts and when next: two facts of its <dl>, the same on its row in the list and on its own page. */
import type { PipelineSummary } from "../../api/types";
import { RelativeTime } from "../../components/time-label";
import { ClockChange, nextClockChange } from "./clock-change";

export function StartFacts({ pipeline }: { pipeline: PipelineSummary }) {
  const triggers = pipeline.trigger_info.map((reading) => reading.description);
  const clockChange = nextClockChange(pipeline);
  return (
    <>
      <div>
        <dt>Starts</dt>
        <dd>{triggers.length > 0 ? triggers.join("; ") : "by hand only"}</dd>
      </div>
      <div>
        <dt>Next</dt>
        <dd>
          {pipeline.next_fire_at ? <RelativeTime time={pipeline.next_fire_at} /> : pipeline.paused && pipeline.triggers.length > 0 ? "none while paused" : "—"}
          {clockChange && <ClockChange {...clockChange} />}
        </dd>
      </div>
    </>
  );
}
