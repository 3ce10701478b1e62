/**
 * Pause or resume a pipeline's triggers, after saying what that does. A
 * pause may say why: the engine keeps the reason, with who paused it and
 * when, and every list shows them until it is resumed.
 */
import { useState } from "preact/hooks";
import { messageOf } from "../../api/api-error";
import { pausePipeline, resumePipeline } from "../../api/pipelines";
import type { PipelineSummary } from "../../api/types";
import { pauseCommand, resumeCommand } from "../../cli/commands";
import { CopyCli } from "../../components/copy-cli";
import { Dialog } from "../../components/dialog";

/** As the API takes it (POST …/pause: reason, 1 to 500 characters). */
const REASON_MAX = 500;

interface PauseDialogProps {
  pipeline: PipelineSummary;
  action: "pause" | "resume";
  onClose: () => void;
  /** The pipeline as the engine answered (paused or not). */
  onDone: (updated: PipelineSummary) => void;
}

export function PauseDialog({ pipeline, action, onClose, onDone }: PauseDialogProps) {
  const label = `${pipeline.namespace}/${pipeline.name}`;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState("");
  const pausing = action === "pause";
  const why = reason.trim();

  async function confirm(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const updated = pausing ? await pausePipeline(pipeline.namespace, pipeline.name, why || undefined) : await resumePipeline(pipeline.namespace, pipeline.name);
      onDone(updated);
      onClose();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  }

  return (
    <Dialog
      title={`${pausing ? "Pause" : "Resume"} ${label}`}
      onClose={onClose}
      description={pausing ? "Its triggers stop firing until it is resumed. Runs under way go on, and runs started by hand still run." : "Its triggers fire again from now on."}
    >
      <form onSubmit={confirm}>
        {error && (
          <p class="notice notice--error" role="alert">
            {error}
          </p>
        )}
        {pausing && (
          <div class="field">
            <label for="pause-reason">Why (optional)</label>
            <input
              id="pause-reason"
              type="text"
              value={reason}
              maxLength={REASON_MAX}
              autoComplete="off"
              placeholder="the NAS is away for repairs"
              aria-describedby="pause-reason-hint"
              onInput={(event) => setReason(event.currentTarget.value)}
            />
            <p id="pause-reason-hint" class="field__hint">
              Shown with the pause, with who paused it and when, until it is resumed.
            </p>
          </div>
        )}
        {!pausing && pipeline.paused_reason && <p class="muted">It was paused{pipeline.paused_by ? ` by ${pipeline.paused_by}` : ""}: {pipeline.paused_reason}</p>}
        <div class="dialog__actions">
          <button type="submit" class="button button--primary" disabled={busy} data-autofocus={pausing ? undefined : true}>
            {busy ? (pausing ? "Pausing…" : "Resuming…") : pausing ? "Pause" : "Resume"}
          </button>
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <CopyCli command={pausing ? pauseCommand(pipeline.namespace, pipeline.name, why) : resumeCommand(pipeline.namespace, pipeline.name)} />
        </div>
      </form>
    </Dialog>
  );
}
