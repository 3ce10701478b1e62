/**
 * The JSON Schema of spire.yaml, for editors (yaml-language-server) and
 * other tools. Generated from the one zod schema, input side: what a user
 * may write, before normalisation.
 */
import { z } from "zod";
import { EXTENSION_KEY, spireFileSchema } from "./schema.js";

/** A URN rather than a made-up web address: editors resolve the schema by the path in `$schema` comments. */
export const SPIRE_SCHEMA_ID = "urn:spire:schema:spire.yaml:v1";

/**
 * zod leaves out `examples` and `default` of a schema that transforms (a
 * duration, an env map, a task), taking them for output values. Ours are
 * written as a user writes the key, so they belong to the input side: put
 * them back.
 */
function keepInputAnnotations(context: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const meta = z.globalRegistry.get(context.zodSchema as z.ZodType);
  for (const key of ["examples", "default"] as const) {
    if (meta?.[key] !== undefined && context.jsonSchema[key] === undefined) context.jsonSchema[key] = meta[key];
  }
}

export function buildJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(spireFileSchema, { io: "input", target: "draft-2020-12", override: keepInputAnnotations }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: SPIRE_SCHEMA_ID,
    title: "Spire definitions file (spire.yaml)",
    description: "Pipelines of tasks with their triggers, arguments, queue policy and notifications.",
    ...rest,
    // Keys starting with x- are ignored (load.ts): a place for anchors that pipelines reuse.
    patternProperties: { [EXTENSION_KEY.source]: { description: "Ignored by Spire: a place for YAML anchors (x-defaults: &defaults …) that pipelines reuse with aliases." } },
  };
}

/** The file's exact text, so a test can tell whether the committed file is up to date. */
export function jsonSchemaText(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
