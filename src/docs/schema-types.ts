/**
 * A JSON Schema's type in words, for the reference tables: "duration",
 * "list of name", "one of `none`, `latest`, `all`", "integer, 1 to 1000".
 * Shared by the definitions reference (spire.schema.json) and the API
 * reference (the OpenAPI document), which are both JSON Schema.
 */
import { DURATION_PATTERN, SIZE_PATTERN } from "../definitions/units.js";
import { NAME_PATTERN } from "../definitions/schema.js";
import { code } from "./markdown.js";

export type JsonSchema = {
  type?: string | string[];
  $ref?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  description?: string;
  default?: unknown;
  examples?: unknown[];
};

/** How a type refers to a named schema ($ref): its name, maybe linked. */
export type RefText = (ref: string) => string;

/** JavaScript's largest safe integer: zod writes it as the bound of every integer, which says nothing to a reader. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

export function typeText(schema: JsonSchema, ref: RefText): string {
  if (schema.$ref !== undefined) return ref(schema.$ref);
  if (schema.const !== undefined) return code(JSON.stringify(schema.const));
  if (schema.enum !== undefined) return schema.enum.length === 1 ? code(JSON.stringify(schema.enum[0])) : `one of ${schema.enum.map((value) => code(String(value))).join(", ")}`;
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches !== undefined) return special(branches) ?? unique(branches.map((branch) => typeText(branch, ref))).join(" or ");
  if (Array.isArray(schema.type)) return unique(schema.type.map((type) => typeText({ ...schema, type }, ref))).join(" or ");
  switch (schema.type) {
    case "array":
      return `list of ${schema.items === undefined ? "any" : grouped(typeText(schema.items, ref))}`;
    case "object":
      if (schema.properties === undefined && typeof schema.additionalProperties === "object") return `map of ${grouped(typeText(schema.additionalProperties, ref))}`;
      return "object";
    case "string":
      if (schema.pattern === NAME_PATTERN.source) return "name";
      return schema.format === "date-time" ? "time (ISO 8601)" : "string";
    case "integer":
    case "number":
      return `${schema.type}${bounds(schema)}`;
    case "boolean":
    case "null":
      return schema.type;
    default:
      return "any";
  }
}

/** The unions the definitions file uses for units: a number or a string with a unit. */
function special(branches: JsonSchema[]): string | undefined {
  const pattern = branches.find((branch) => branch.type === "string")?.pattern;
  if (branches.length !== 2 || !branches.some((branch) => branch.type === "number")) return undefined;
  if (pattern === DURATION_PATTERN.source) return "duration";
  if (pattern === SIZE_PATTERN.source) return "size";
  return undefined;
}

function bounds(schema: JsonSchema): string {
  const min = schema.minimum;
  const max = schema.maximum !== undefined && schema.maximum < UNBOUNDED ? schema.maximum : undefined;
  if (min !== undefined && max !== undefined) return `, ${min} to ${max}`;
  if (min !== undefined && min > -UNBOUNDED) return `, at least ${min}`;
  if (max !== undefined) return `, at most ${max}`;
  return "";
}

/** A union inside a list or map, in parentheses: "list of (string or number)". */
function grouped(text: string): string {
  return text.includes(" or ") ? `(${text})` : text;
}

function unique(texts: string[]): string[] {
  return [...new Set(texts)];
}
