/**
 * A run's arguments as a form: the fields a pipeline's `args` declare,
 * their values as typed, checked in the browser as the engine will check
 * them (type, enum, pattern, required), and the engine's own refusal
 * (422 invalid_args) matched back to the fields it names.
 */
import type { ArgDef, ArgScalar } from "../../api/types";

export interface ArgField {
  name: string;
  def: ArgDef;
}

/** The id of an argument's control, for its label and to move focus to it. */
export function fieldId(name: string): string {
  return `arg-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** Values as the form holds them: text for inputs and selects, booleans for checkboxes. */
export type FormValues = Record<string, string | boolean>;

export function argFields(args: Record<string, ArgDef> | undefined): ArgField[] {
  return Object.entries(args ?? {}).map(([name, def]) => ({ name, def }));
}

/** A checkbox only where unchecked means something: a boolean with a default. A boolean without one can also be left out. */
export function isCheckbox(def: ArgDef): boolean {
  return def.type === "boolean" && def.default !== undefined && !def.enum;
}

export function initialValues(fields: ArgField[]): FormValues {
  const values: FormValues = {};
  for (const { name, def } of fields) {
    if (isCheckbox(def)) values[name] = toBoolean(def.default) ?? false;
    else values[name] = def.default === undefined ? "" : String(def.default);
  }
  return values;
}

function toBoolean(value: ArgScalar | string | undefined): boolean | undefined {
  if (value === true || value === "true" || value === "1" || value === "yes") return true;
  if (value === false || value === "false" || value === "0" || value === "no") return false;
  return undefined;
}

/**
 * Something a pattern can backtrack on exponentially, given a value typed
 * for it: a quantified group (`(a+)+`), a backreference, a lookaround. Such
 * a pattern is not tried in the browser, where nothing could stop it and
 * the page would freeze; the engine checks it within its time limit.
 */
const MAY_BACKTRACK = /\)(?:[+*?]|\{\d)|\\[1-9]|\\k<|\(\?<?[=!]/;

function patternOf(def: ArgDef): RegExp | undefined {
  if (!def.pattern || MAY_BACKTRACK.test(def.pattern)) return undefined;
  try {
    return new RegExp(def.pattern);
  } catch {
    // A pattern the browser cannot read is left to the engine to check.
    return undefined;
  }
}

/** What the engine would say of each field, before anything is sent; an empty object when all is well. */
export function checkValues(fields: ArgField[], values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const { name, def } of fields) {
    const value = values[name];
    if (typeof value === "boolean") continue;
    const text = (value ?? "").trim() === "" ? "" : (value ?? "");
    if (text === "") {
      if (def.required && def.default === undefined) errors[name] = "Required.";
      continue;
    }
    if (def.type === "number" || def.type === "integer") {
      const number = Number(text);
      if (!Number.isFinite(number)) errors[name] = "Must be a number.";
      else if (def.type === "integer" && !Number.isInteger(number)) errors[name] = "Must be a whole number.";
      if (errors[name]) continue;
    }
    if (def.type === "boolean" && toBoolean(text) === undefined) {
      errors[name] = "Must be true or false.";
      continue;
    }
    if (def.enum && !def.enum.some((allowed) => String(allowed) === text)) {
      errors[name] = `Must be one of: ${def.enum.join(", ")}.`;
      continue;
    }
    const pattern = patternOf(def);
    if (pattern && !pattern.test(text)) errors[name] = `Must match /${def.pattern}/.`;
  }
  return errors;
}

/** The args to send: typed values for what was filled in; what was left empty is left to the default. */
export function argsToSend(fields: ArgField[], values: FormValues): Record<string, ArgScalar> {
  const args: Record<string, ArgScalar> = {};
  for (const { name, def } of fields) {
    const value = values[name];
    if (typeof value === "boolean") {
      // An unchanged default need not be sent, but sending it says exactly what ran.
      args[name] = value;
      continue;
    }
    if (value === undefined || value.trim() === "") continue;
    if (def.type === "number" || def.type === "integer") args[name] = Number(value);
    else if (def.type === "boolean") args[name] = toBoolean(value) ?? value;
    else args[name] = value;
  }
  return args;
}

/**
 * The engine's details (`argument "x" must …`, `unknown argument "x"`, or
 * `args.x: …` from the request's own validation) by field; lines naming no
 * field of the form are kept apart to show above it.
 */
export function errorsByField(details: string[], fields: ArgField[]): { byField: Record<string, string>; other: string[] } {
  const names = new Set(fields.map((field) => field.name));
  const byField: Record<string, string> = {};
  const other: string[] = [];
  for (const line of details) {
    const name = /argument "([^"]+)"/.exec(line)?.[1] ?? /^(?:body\.)?args\.([^:\s]+)/.exec(line)?.[1];
    if (name !== undefined && names.has(name)) byField[name] = byField[name] ? `${byField[name]} ${line}` : line;
    else other.push(line);
  }
  return { byField, other };
}
