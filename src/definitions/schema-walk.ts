/**
 * Walks the zod schema along a key path, to find which keys a mapping
 * accepts (for did-you-mean) and to say in words what a place expects.
 * Wrappers (optional, default, pipe, transform) are seen through; unions
 * are searched branch by branch; the recursive `group` getter is followed.
 */
import type { z } from "zod";
import type { PathSegment } from "./errors.js";
import { duration, retriesSchema, size, workerLabel } from "./schema.js";

/** The parts of zod's internal definition this module reads. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  entries?: Record<string, string | number>;
  values?: unknown[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function bagOf(schema: z.ZodType): Record<string, unknown> {
  return (schema as unknown as { _zod: { bag?: Record<string, unknown> } })._zod.bag ?? {};
}

/** Sees through wrappers to the schema that decides the shape. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(current);
    const next =
      def.type === "optional" || def.type === "default" || def.type === "nullable" || def.type === "prefault" || def.type === "readonly"
        ? def.innerType
        : def.type === "pipe"
          ? def.in
          : def.type === "lazy"
            ? def.getter?.()
            : undefined;
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

function childOf(schema: z.ZodType, segment: PathSegment): z.ZodType | undefined {
  const bare = unwrap(schema);
  const def = defOf(bare);
  switch (def.type) {
    case "object":
      return typeof segment === "string" && def.shape !== undefined && Object.hasOwn(def.shape, segment) ? def.shape[segment] : undefined;
    case "record":
      return typeof segment === "string" ? def.valueType : undefined;
    case "array":
      return typeof segment === "number" ? def.element : undefined;
    case "union":
      for (const option of def.options ?? []) {
        const found = childOf(option, segment);
        if (found !== undefined) return found;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The schema at `path`, if the path leads anywhere in it. */
export function schemaAt(root: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const segment of path) {
    if (current === undefined) return undefined;
    current = childOf(current, segment);
  }
  return current;
}

/** The keys an object schema at `path` accepts (for the object branch of a union, too). */
export function acceptedKeys(root: z.ZodType, path: readonly PathSegment[]): string[] {
  const at = schemaAt(root, path);
  if (at === undefined) return [];
  const bare = unwrap(at);
  const def = defOf(bare);
  if (def.type === "object") return Object.keys(def.shape ?? {});
  if (def.type === "union") {
    for (const option of def.options ?? []) {
      const optionDef = defOf(unwrap(option));
      if (optionDef.type === "object") return Object.keys(optionDef.shape ?? {});
    }
  }
  return [];
}

/** What a few well-known places hold, in the words of the docs. */
const BY_KEY: Record<string, string> = {
  needs: "a list of task names",
  on_pass: "a list of task names",
  depends_on: "a list of task names",
  on_fail: "a list of task names",
  on_done: "a list of task names",
  locks: "a list of lock names",
  secrets: "a list of environment variable names",
  triggers: "a list of triggers",
  notify: "a list of notifications",
  exec: "a list of arguments (argv)",
  artifacts: "a list of file patterns",
  watch: "a path or a list of paths",
  tasks: "a mapping of task names to tasks",
  group: "a mapping of task names to tasks",
  pipelines: "a mapping of pipeline names to pipelines",
  env: "a mapping of variable names to values",
  matrix: "a mapping of keys to lists of values",
  metadata: "a mapping",
  runs_on: "a worker label, or a list of labels",
};

/** What the schema at `path` expects, in words. */
export function describeExpected(root: z.ZodType, path: readonly PathSegment[]): string | undefined {
  const schema = schemaAt(root, path);
  if (schema === undefined) return undefined;
  const last = path[path.length - 1];
  const known = typeof last === "string" && Object.hasOwn(BY_KEY, last) ? BY_KEY[last] : undefined;
  // Only when the schema really has that shape here (root `locks` is a mapping, a pipeline's a list).
  if (known !== undefined && shapeMatches(schema, known)) return known;
  return describe(schema);
}

function shapeMatches(schema: z.ZodType, words: string): boolean {
  const type = defOf(unwrap(schema)).type;
  if (words.startsWith("a list")) return type === "array";
  if (words.startsWith("a mapping")) return type === "record" || type === "object";
  return true;
}

export function describe(schema: z.ZodType): string {
  if (schema === duration || unwrap(schema) === unwrap(duration)) return "a duration such as 500ms, 10s, 5m or 1h30m";
  if (schema === size || unwrap(schema) === unwrap(size)) return "a size such as 512MiB or 2GiB";
  if (schema === workerLabel) return "a worker label";
  if (unwrap(schema) === unwrap(retriesSchema)) return "a number of retries, or { max, backoff, factor, max_delay }";
  const bare = unwrap(schema);
  const def = defOf(bare);
  switch (def.type) {
    case "string":
      return "a string";
    case "number":
      return bagOf(bare).format === "safeint" ? "a whole number" : "a number";
    case "boolean":
      return "true or false";
    case "literal":
      return (def.values ?? []).map((value) => JSON.stringify(value)).join(" or ");
    case "enum":
      return `one of: ${Object.values(def.entries ?? {}).join(", ")}`;
    case "array":
      return def.element === undefined ? "a list" : `a list of ${plural(describe(def.element))}`;
    case "record":
      return "a mapping";
    case "object":
      return describeObject(Object.keys(def.shape ?? {}));
    case "union":
      return [...new Set((def.options ?? []).map(describe))].join(", or ");
    default:
      return "a value";
  }
}

function describeObject(keys: string[]): string {
  return keys.length <= 6 ? `a mapping with ${keys.join(", ")}` : "a mapping";
}

/** "a string" → "strings"; good enough for the words describe() makes. */
function plural(description: string): string {
  if (description === "a string, or a number") return "strings";
  const match = /^an? (.*)$/.exec(description);
  if (match === null) return description;
  return `${match[1]}s`;
}
