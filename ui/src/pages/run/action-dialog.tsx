/** Cancel, retry the failed tasks, or retry from a task: said plainly, confirmed, the engine's refusal shown, the CLI line offered. */
import { useState } from "preact/hooks";
import { messageOf } from "../../api/api-error";
import type { Run } from "../../api/types";
import { shellLine } from "../../cli/shell-quote";
import { CopyCli } from "../../components/copy-cli";
import { Dialog } from "../../components/dialog";
import { navigate } from "../../router/router";
import { paths } from "../../router/routes";
import { cancelRun, retryRun } from "./api";

export type RunAction = { kind: "cancel" } | { kind: "retry" } | { kind: "retry-from"; task: string };

export function actionCommand(runId: string, action: RunAction): string {
  if (action.kind === "cancel") return shellLine(["spire", "cancel", runId]);
  if (action.kind === "retry") return shellLine(["spire", "retry", runId]);
  return shellLine(["spire", "retry", runId, "--from", action.task]);
}

interface ActionDialogProps {
  run: Run;
  action: RunAction;
  onClose: () => void;
  /** After a cancel: the run changed, ask for it again. */
  onCanceled: () => void;
}

export function ActionDialog({ run, action, onClose, onCanceled }: ActionDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = `${run.namespace}/${run.pipeline}`;

  const title = action.kind === "cancel" ? `Cancel this run of ${label}` : action.kind === "retry" ? `Retry the failed tasks of ${label}` : `Retry ${label} from ${action.task}`;
  const description =
    action.kind === "cancel"
      ? "Its running tasks get SIGTERM, then SIGKILL after their grace; tasks not started yet will not start."
      : action.kind === "retry"
        ? "A new run re-runs the tasks that did not pass, and those that depend on them; tasks that passed are kept as they are, with their outputs and artifacts."
        : `A new run re-runs ${action.task} and every task that depends on it (and any other task that did not pass); the tasks that passed are kept as they are.`;
  const verb = action.kind === "cancel" ? "Cancel run" : "Retry";

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      if (action.kind === "cancel") {
        await cancelRun(run.id);
        onCanceled();
        onClose();
        return;
      }
      const next = await retryRun(run.id, action.kind === "retry-from" ? action.task : undefined);
      onClose();
      navigate(paths.run(next.id));
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  }

  return (
    <Dialog title={title} description={description} onClose={onClose}>
      {error && (
        <p class="notice notice--error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog__actions">
        <button type="button" class={`button ${action.kind === "cancel" ? "button--danger" : "button--primary"}`} disabled={busy} onClick={confirm} data-autofocus>
          {busy ? (action.kind === "cancel" ? "Canceling…" : "Starting…") : verb}
        </button>
        <button type="button" class="button" onClick={onClose}>
          {action.kind === "cancel" ? "Keep it running" : "Cancel"}
        </button>
        <CopyCli command={actionCommand(run.id, action)} />
      </div>
    </Dialog>
  );
}
