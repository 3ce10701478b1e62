/**
 * "Copy as CLI": the command that does the same as a button, to the
 * clipboard. Where the clipboard cannot be written (a page served over
 * plain http from another machine is not a secure context) the command is
 * shown selected, to copy by hand.
 */
import { useState } from "preact/hooks";

export function CopyCli({ command, label = "Copy as CLI" }: { command: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "manual">("idle");

  async function copy() {
    try {
      await navigator.clipboard.writeText(command);
      setState("copied");
      setTimeout(() => setState("idle"), 2000);
    } catch {
      setState("manual");
    }
  }

  return (
    <span class="copy-cli">
      <button type="button" class="button button--quiet" onClick={copy} title={command} aria-label={`${label}: ${command}`}>
        {state === "copied" ? "Copied" : label}
      </button>
      {state === "manual" && (
        <input
          class="copy-cli__text"
          readOnly
          value={command}
          aria-label="The command, to copy by hand"
          ref={(input) => input?.select()}
          onBlur={() => setState("idle")}
        />
      )}
      <span class="visually-hidden" role="status">
        {state === "copied" ? "Command copied" : ""}
      </span>
    </span>
  );
}
