/**
 * A modal made of a real <dialog>: the browser keeps focus inside it and
 * closes it on Escape; focus goes back to what opened it; live updates are
 * held while it is open, so nothing moves under the person filling it in.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import { useHold } from "../live/use-live-events";

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** A short line under the title, read with it by screen readers. */
  description?: ComponentChildren;
}

export function Dialog({ title, description, onClose, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  useHold(true);

  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    // The first field, or the dialog's first button: never the close button first when there is something to fill in.
    const first = dialog.querySelector<HTMLElement>("[data-autofocus], input, select, textarea") ?? dialog.querySelector<HTMLElement>("button");
    first?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself, outside its box) closes it.
        if (event.target === ref.current) {
          const box = (event.target as HTMLDialogElement).getBoundingClientRect();
          const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
          if (!inside) onClose();
        }
      }}
    >
      <div class="dialog__head">
        <h2 id={titleId} class="dialog__title">
          {title}
        </h2>
        <button type="button" class="button button--quiet dialog__close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {description && (
        <p id={descriptionId} class="dialog__description">
          {description}
        </p>
      )}
      {children}
    </dialog>
  );
}
