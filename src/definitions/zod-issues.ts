/**
 * zod issues → DefinitionErrors: each at the YAML node it is about, with a
 * message that says what is wrong in the file's own terms, what was
 * expected, and a did-you-mean where one helps.
 */
import type { z } from "zod";
import type { DefinitionError, PathSegment } from "./errors.js";
import { formatKeyPath } from "./errors.js";
import { isRecord } from "./is-record.js";
import type { SourceMap } from "./positions.js";
import { acceptedKeys, describeExpected } from "./schema-walk.js";
import { PAYLOAD_KEYS } from "./schema.js";
import { suggest } from "./suggest.js";

type Issue = z.core.$ZodIssue;

export interface IssueContext {
  file: string;
  schema: z.ZodType;
  /** The data that was validated (to quote the offending value). */
  value: unknown;
  map: SourceMap;
}

export function issuesToErrors(issues: readonly Issue[], context: IssueContext, prefix: PathSegment[] = []): DefinitionError[] {
  return issues.flatMap((issue) => issueToErrors(issue, context, [...prefix, ...issue.path.map(segmentOf)]));
}

function segmentOf(key: PropertyKey): PathSegment {
  return typeof key === "number" ? key : String(key);
}

function issueToErrors(issue: Issue, context: IssueContext, path: PathSegment[]): DefinitionError[] {
  const make = (message: string, extra: Partial<DefinitionError> = {}, at: "value" | "key" = "value", where = path): DefinitionError => ({
    file: context.file,
    ...context.map.locate(where, at).position,
    keyPath: formatKeyPath(path),
    message,
    ...extra,
  });
  const value = valueAt(context.value, path);
  const expected = describeExpected(context.schema, path);

  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return [make("required, but missing", withExpected(expected))];
      return [make(`expected ${expected ?? issue.expected}, got ${received(value)}`, withExpected(expected))];
    case "invalid_union":
      return unionErrors(issue, context, path, value, expected, make);
    case "invalid_value":
      return [invalidValue(issue.values, value, make)];
    case "invalid_format":
      return [make(`invalid value ${quoted(value)}`, { expected: customOr(issue.message, expected) })];
    case "invalid_key": {
      const inner = issue.issues[0]?.message;
      const key = path[path.length - 1];
      return [make(`invalid name ${JSON.stringify(key)}`, { expected: inner }, "key")];
    }
    case "too_small":
      return [make(tooSmall(issue), withExpected(expected))];
    case "too_big":
      return [make(`must be at most ${issue.maximum}`, withExpected(expected))];
    case "unrecognized_keys":
      return issue.keys.map((key) => unknownKey(key, context, path, make));
    case "custom":
      return [customError(issue, value, path, make)];
    default:
      return [make(issue.message)];
  }
}

type Make = (message: string, extra?: Partial<DefinitionError>, at?: "value" | "key", where?: PathSegment[]) => DefinitionError;

function withExpected(expected: string | undefined): Partial<DefinitionError> {
  return expected === undefined ? {} : { expected };
}

/** zod's own messages start with "Invalid"; ours (from schema.ts) say what is expected. */
function customOr(message: string, fallback: string | undefined): string | undefined {
  return /^invalid/i.test(message) ? fallback : message;
}

/**
 * A union failed. When exactly the branches of the value's type failed for a
 * deeper reason (a bad key inside the object form), those reasons are what
 * the user needs; when no branch takes this type at all, say what would do.
 */
function unionErrors(
  issue: Extract<Issue, { code: "invalid_union" }>,
  context: IssueContext,
  path: PathSegment[],
  value: unknown,
  expected: string | undefined,
  make: Make,
): DefinitionError[] {
  const relevant = issue.errors.filter((branch) => !isTypeMismatch(branch));
  const first = relevant[0];
  if (first !== undefined) return issuesToErrors(first, context, path);
  if (value === undefined) return [make("required, but missing", withExpected(expected))];
  const wanted = expected ?? "another type";
  return [make(`expected ${wanted}, got ${received(value)}`, withExpected(expected))];
}

function isTypeMismatch(issues: readonly Issue[]): boolean {
  return issues.every(
    (issue) =>
      issue.path.length === 0 &&
      (issue.code === "invalid_type" || (issue.code === "invalid_union" && issue.errors.every(isTypeMismatch))),
  );
}

function invalidValue(values: readonly unknown[], value: unknown, make: Make): DefinitionError {
  if (values.length === 1) return make(`got ${received(value)}`, { expected: JSON.stringify(values[0]) });
  const choices = values.map(String);
  const guess = typeof value === "string" ? suggest(value, choices) : undefined;
  return make(`unknown value ${quoted(value)}`, {
    expected: `one of: ${choices.join(", ")}`,
    ...(guess === undefined ? {} : { hint: `did you mean \`${guess}\`?` }),
  });
}

function tooSmall(issue: Extract<Issue, { code: "too_small" }>): string {
  const minimum = Number(issue.minimum);
  if ((issue.origin === "array" || issue.origin === "string") && minimum === 1) return "must not be empty";
  if (issue.origin === "array") return `needs at least ${minimum} items`;
  if (issue.origin === "string") return `needs at least ${minimum} characters`;
  return issue.inclusive === false ? `must be more than ${minimum}` : `must be at least ${minimum}`;
}

function unknownKey(key: string, context: IssueContext, path: PathSegment[], make: Make): DefinitionError {
  const keyPath = [...path, key];
  const accepted = acceptedKeys(context.schema, path);
  const guess = suggest(key, accepted);
  const elsewhere = guess === undefined ? belongsElsewhere(key, context.schema, path) : undefined;
  const extra: Partial<DefinitionError> =
    guess !== undefined
      ? { hint: `did you mean \`${guess}\`?` }
      : elsewhere !== undefined
        ? { hint: elsewhere }
        : accepted.length > 0 && accepted.length <= 15
          ? { expected: `one of: ${accepted.join(", ")}` }
          : {};
  return { ...make(`unknown key \`${key}\``, extra, "key", keyPath), keyPath: formatKeyPath(keyPath) };
}

/** A task setting written on a pipeline (or the other way round) is a common slip; say where it goes. */
function belongsElsewhere(key: string, schema: z.ZodType, path: PathSegment[]): string | undefined {
  const onPipeline = path.length === 2 && path[0] === "pipelines";
  const onTask = path.length >= 4 && path[0] === "pipelines" && path[path.length - 2] !== undefined && ["tasks", "group"].includes(String(path[path.length - 2]));
  if (onPipeline && acceptedKeys(schema, ["pipelines", "p", "tasks", "t"]).includes(key)) return `\`${key}\` is a task setting: move it into a task`;
  if (onTask && acceptedKeys(schema, ["pipelines", "p"]).includes(key)) return `\`${key}\` is a pipeline setting: move it up to the pipeline`;
  return undefined;
}

function customError(issue: Extract<Issue, { code: "custom" }>, value: unknown, path: PathSegment[], make: Make): DefinitionError {
  if (issue.params?.["spire"] === "payload-many" && isRecord(value)) {
    // Point at the second payload: the first one is usually the intended one.
    const extras = PAYLOAD_KEYS.filter((key) => Object.hasOwn(value, key) && value[key] !== undefined);
    const second = extras[1];
    return make(
      issue.message,
      { hint: "split it into two tasks, and chain them with needs: if both should run" },
      "key",
      second === undefined ? path : [...path, second],
    );
  }
  if (issue.params?.["spire"] === "payload-missing") {
    return make(issue.message, { hint: "for example run: ./script.sh, or exec: [cmd, arg]" });
  }
  return make(issue.message);
}

export { isRecord };

/** The raw value at `path`, using own properties only (no prototype lookups). */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === "number") current = current[segment];
    else if (isRecord(current) && Object.hasOwn(current, String(segment))) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

/** A value as it would be written: `"10q"`, `3`, `a list`. */
export function quoted(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return received(value);
}

/** "a string "x"", "the number 3", "a list", … for "got …" messages. */
export function received(value: unknown): string {
  if (value === null) return "an empty value";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "a list";
  // YAML's !!binary and !!timestamp make these: not mappings, whatever typeof says.
  if (value instanceof Uint8Array) return "binary data (a !!binary value)";
  if (value instanceof Date) return "a date (a !!timestamp value): quote it to give it as text";
  if (isRecord(value)) return "a mapping";
  return typeof value;
}
