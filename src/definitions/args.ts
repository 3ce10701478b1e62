/**
 * Run arguments: checked against the pipeline's declarations before a run
 * is created. Values arrive as strings (CLI `--arg k=v`, webhooks) or as JSON
 * values (API); they leave typed.
 */
import type { ArgDef } from "./schema.js";
import { suggest } from "./suggest.js";
import { MATCH_BUDGET_MS, matchesWithin } from "./bounded-match.js";

export type ArgValue = string | number | boolean;

export type ArgsResult = { ok: true; values: Record<string, ArgValue> } | { ok: false; errors: string[] };

export function resolveArgs(declared: Record<string, ArgDef>, given: Record<string, unknown>): ArgsResult {
  const errors: string[] = [];
  const values: Record<string, ArgValue> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      const close = suggest(name, Object.keys(declared));
      const known = Object.keys(declared);
      errors.push(
        `unknown argument "${name}"` +
          (close ? ` — did you mean "${close}"?` : known.length ? ` — this pipeline takes: ${known.join(", ")}` : " — this pipeline takes no arguments"),
      );
    }
  }
  for (const [name, def] of Object.entries(declared)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    if (raw === undefined || raw === null) {
      if (def.default !== undefined) values[name] = def.default;
      else if (def.required) errors.push(`argument "${name}" is required${describe(def)}`);
      continue;
    }
    const converted = convert(name, def, raw, gotText(def, raw));
    if (typeof converted === "object") errors.push(converted.error);
    else values[name] = converted;
  }
  return errors.length ? { ok: false, errors } : { ok: true, values };
}

function describe(def: ArgDef): string {
  if (def.enum) return ` (one of: ${def.enum.join(", ")})`;
  return def.type === "string" ? "" : ` (a ${def.type})`;
}

/** What a refusal says of the value it refused: a secret one is never echoed (errors reach API answers and terminals), a long one is cut. */
function gotText(def: ArgDef, raw: unknown): string {
  if ("secret" in def && def.secret) return "got a value not shown here (the argument is secret)";
  const text = JSON.stringify(raw) ?? String(raw);
  return `got ${text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text}`;
}

function convert(name: string, def: ArgDef, raw: unknown, got: string): ArgValue | { error: string } {
  const type = "type" in def ? def.type : "string";
  let value: ArgValue;
  if (type === "boolean") {
    if (typeof raw === "boolean") value = raw;
    else if (raw === "true" || raw === "1" || raw === "yes") value = true;
    else if (raw === "false" || raw === "0" || raw === "no") value = false;
    else return { error: `argument "${name}" must be true or false, ${got}` };
  } else if (type === "number" || type === "integer") {
    const number = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
    if (!Number.isFinite(number)) return { error: `argument "${name}" must be a number, ${got}` };
    if (type === "integer" && !Number.isInteger(number)) return { error: `argument "${name}" must be a whole number, ${got}` };
    value = number;
  } else {
    if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
      return { error: `argument "${name}" must be a string, ${got}` };
    }
    value = String(raw);
  }
  if (def.enum && !def.enum.some((allowed) => String(allowed) === String(value))) {
    return { error: `argument "${name}" must be one of: ${def.enum.join(", ")}; ${got}` };
  }
  if (def.pattern) {
    const matched = matchesWithin(def.pattern, String(value));
    if (matched === "too slow") {
      return { error: `argument "${name}": checking it against /${def.pattern}/ took more than ${MATCH_BUDGET_MS} ms, so it is refused (the pattern repeats a repetition, such as (a+)+: ask for the pipeline's pattern to be simplified)` };
    }
    if (!matched) return { error: `argument "${name}" must match /${def.pattern}/, ${got}` };
  }
  return value;
}

/** `SPIRE_ARG_<NAME>`: upper case, anything but letters and digits becomes `_`. */
export function argEnvName(name: string): string {
  return `SPIRE_ARG_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}
