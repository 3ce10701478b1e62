/**
 * Pause or resume a pipeline's triggers, after saying what that does.
 * (The API takes no reason for a pause: the only reasons it reports are the
 * engine's own, when a `spire watch` lease lapses.)
 */
import { useState } from "preact/hooks";
import { messageOf } from "../../api/api-error";
import { pausePipeline, resumePipeline } from "../../api/pipelines";
import type { PipelineSummary } from "../../api/types";
import { pauseCommand, resumeCommand } from "../../cli/commands";
import { CopyCli } from "../../components/copy-cli";
import { Dialog } from "../../components/dialog";

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
  const pausing = action === "pause";

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      const updated = await (pausing ? pausePipeline : resumePipeline)(pipeline.namespace, pipeline.name);
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
      {error && (
        <p class="notice notice--error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog__actions">
        <button type="button" class="button button--primary" disabled={busy} onClick={confirm} data-autofocus>
          {busy ? (pausing ? "Pausing…" : "Resuming…") : pausing ? "Pause" : "Resume"}
        </button>
        <button type="button" class="button" onClick={onClose}>
          Cancel
        </button>
        <CopyCli command={pausing ? pauseCommand(pipeline.namespace, pipeline.name) : resumeCommand(pipeline.namespace, pipeline.name)} />
      </div>
    </Dialog>
  );
}
