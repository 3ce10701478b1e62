/**
 * A secret shown on purpose (a new API token, a webhook's token): in a
 * read-only field, selected on focus, with a Copy button. Unlike "Copy as
 * CLI", the secret is never put in a title or an accessible name, where
 * tooltips and screen-reader logs would repeat it.
 */
import { CopyButton } from "./copy-button";

export function SecretField({ value, label, id, autofocus }: { value: string; label: string; id: string; autofocus?: boolean }) {
  const select = () => {
    const input = document.getElementById(id) as HTMLInputElement | null;
    input?.focus();
    input?.select();
  };
  return (
    <div class="secret-field">
      <label for={id} class="visually-hidden">
        {label}
      </label>
      <input id={id} class="secret-field__value" readOnly value={value} spellcheck={false} autoComplete="off" onFocus={(event) => event.currentTarget.select()} />
      <CopyButton text={value} label="Copy" onManual={select} autofocus={autofocus} />
    </div>
  );
}
