/**
 * Copies a text that is too long or too secret to repeat in the button's
 * name or title (a definition, a token). Where the clipboard cannot be
 * written (plain http from another machine), `onManual` is called so the
 * page can select the text for copying by hand.
 */
import { useState } from "preact/hooks";

export function CopyButton({ text, label, onManual, autofocus }: { text: string; label: string; onManual?: () => void; autofocus?: boolean }) {
  const [state, setState] = useState<"idle" | "copied" | "manual">("idle");

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
      setTimeout(() => setState("idle"), 2000);
    } catch {
      setState("manual");
      onManual?.();
    }
  }

  return (
    <>
      <button type="button" class="button" onClick={copy} data-autofocus={autofocus ? true : undefined}>
        {state === "copied" ? "Copied" : label}
      </button>
      <span class="visually-hidden" role="status">
        {state === "copied" ? "Copied" : state === "manual" ? "The clipboard cannot be used here: the text is selected, press Ctrl+C (or ⌘C)" : ""}
      </span>
    </>
  );
}
