/** "Are you sure?" for what cannot be undone (revoking a token, ending a session): Cancel has the focus, the engine's refusal is said in the dialog. */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { messageOf } from "../../api/api-error";
import { Dialog } from "../../components/dialog";

interface ConfirmDialogProps {
  title: string;
  description: ComponentChildren;
  /** The button's word, and its word while the engine is asked. */
  confirm: string;
  busy: string;
  action: () => Promise<void>;
  onDone: () => void;
  onClose: () => void;
  children?: ComponentChildren;
}

export function ConfirmDialog({ title, description, confirm, busy: busyWord, action, onDone, onClose, children }: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function go() {
    setBusy(true);
    setError(null);
    try {
      await action();
      onDone();
    } catch (failure) {
      setBusy(false);
      setError(messageOf(failure));
    }
  }
  return (
    <Dialog title={title} onClose={onClose} description={description}>
      {error && (
        <p class="notice notice--error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog__actions">
        <button type="button" class="button button--danger" disabled={busy} onClick={go}>
          {busy ? busyWord : confirm}
        </button>
        {/* Cancel under the focus: Enter does not do it by accident. */}
        <button type="button" class="button" onClick={onClose} data-autofocus>
          Cancel
        </button>
        {children}
      </div>
    </Dialog>
  );
}
