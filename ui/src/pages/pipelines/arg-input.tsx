/** One run argument's field: a select for an enum (or a boolean), a checkbox for a boolean with a default, else a text input; its error beside it. */
import type { ArgScalar } from "../../api/types";
import { fieldId, isCheckbox, type ArgField } from "./args-form";

interface ArgInputProps {
  field: ArgField;
  value: string | boolean;
  error: string | undefined;
  onChange: (value: string | boolean) => void;
}

function hintOf(field: ArgField): string {
  const { def } = field;
  const parts: string[] = [];
  if (def.description) parts.push(/[.!?]$/.test(def.description) ? def.description : `${def.description}.`);
  if (def.type !== "string" && !def.enum && !isCheckbox(def)) parts.push(def.type === "integer" ? "A whole number." : def.type === "number" ? "A number." : "true or false.");
  if (def.pattern) parts.push(`Matches /${def.pattern}/.`);
  if (def.default !== undefined && !isCheckbox(def)) parts.push(`Left empty: ${String(def.default)}.`);
  return parts.join(" ");
}

export function ArgInput({ field, value, error, onChange }: ArgInputProps) {
  const { name, def } = field;
  const id = fieldId(name);
  const hint = hintOf(field);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  const required = def.required && def.default === undefined;
  const common = { id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy, required };

  let control;
  if (isCheckbox(def)) {
    control = <input {...common} type="checkbox" checked={value === true} onChange={(event) => onChange(event.currentTarget.checked)} />;
  } else if (def.enum || def.type === "boolean") {
    const choices: ArgScalar[] = def.enum ?? [true, false];
    control = (
      <select {...common} value={String(value)} onChange={(event) => onChange(event.currentTarget.value)}>
        {(!required || value === "") && <option value="">{def.default !== undefined ? `(default: ${String(def.default)})` : "(not given)"}</option>}
        {choices.map((choice) => (
          <option key={String(choice)} value={String(choice)}>
            {String(choice)}
          </option>
        ))}
      </select>
    );
  } else {
    const numeric = def.type === "number" || def.type === "integer";
    const text = {
      ...common,
      autoComplete: "off",
      spellcheck: false,
      value: String(value),
      placeholder: def.default !== undefined ? String(def.default) : undefined,
      onInput: (event: Event) => onChange((event.currentTarget as HTMLInputElement).value),
    };
    control = def.secret ? <input {...text} type="password" /> : <input {...text} type="text" inputMode={numeric ? (def.type === "integer" ? "numeric" : "decimal") : undefined} />;
  }

  return (
    <div class={`field${isCheckbox(def) ? " field--check" : ""}${error ? " field--invalid" : ""}`}>
      {isCheckbox(def) && control}
      <label for={id}>
        {name}
        {/* The input's required attribute tells screen readers; the star is for the eye. */}
        {required && (
          <span class="required-mark" aria-hidden="true">
            {" *"}
          </span>
        )}
      </label>
      {!isCheckbox(def) && control}
      {hint && (
        <p id={hintId} class="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} class="field__error">
          {error}
        </p>
      )}
    </div>
  );
}
