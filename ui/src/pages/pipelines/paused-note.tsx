/** "Paused by alice 2 h ago: the NAS is away": who paused a pipeline, when and why, as far as the engine knows. */
import type { PipelineSummary } from "../../api/types";
import { RelativeTime } from "../../components/time-label";

export function PausedNote({ pipeline }: { pipeline: PipelineSummary }) {
  if (!pipeline.paused) return null;
  return (
    <span class="paused">
      <span class="paused__icon" aria-hidden="true" />
      <span>
        Paused{pipeline.paused_by && ` by ${pipeline.paused_by}`}
        {pipeline.paused_at && (
          <>
            {" "}
            <RelativeTime time={pipeline.paused_at} />
          </>
        )}
        {pipeline.paused_reason && <span class="paused__why">: {pipeline.paused_reason}</span>}
      </span>
    </span>
  );
}
