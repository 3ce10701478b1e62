import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildJsonSchema, jsonSchemaText } from "../../src/definitions/json-schema.js";
import { REPO_ROOT } from "./fixtures.js";

test("schema/spire.schema.json is up to date with the zod schema (run `npm run build`)", () => {
  const committed = readFileSync(join(REPO_ROOT, "schema/spire.schema.json"), "utf8");
  assert.equal(committed, jsonSchemaText());
});

test("the JSON Schema is sensible: titled, strict, recursive through $defs", () => {
  const schema = buildJsonSchema() as {
    $schema: string;
    $id: string;
    title: string;
    required: string[];
    additionalProperties: boolean;
    $defs: Record<string, { properties: Record<string, unknown>; additionalProperties: boolean; description: string }>;
  };
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.ok(schema.$id.length > 0 && schema.title.length > 0);
  assert.deepEqual(schema.required, ["pipelines"]);
  assert.equal(schema.additionalProperties, false);
  const task = schema.$defs["task"];
  assert.ok(task, "the task schema is a named definition");
  assert.equal(task.additionalProperties, false);
  assert.ok(task.description.includes("exactly one payload"));
  // `group` refers back to the task definition instead of unrolling forever.
  assert.deepEqual((task.properties["group"] as { additionalProperties: unknown }).additionalProperties, { $ref: "#/$defs/task" });
  const text = JSON.stringify(schema);
  for (const match of text.matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g)) assert.ok(schema.$defs[match[1]!], `dangling $ref ${match[1]}`);
  // Patterns must work without regex flags (JSON Schema has none): sizes are written in any case.
  const limits = task.properties["limits"] as { properties: { memory: { anyOf: { pattern?: string }[] } } };
  const memory = limits.properties.memory.anyOf.find((branch) => branch.pattern !== undefined)?.pattern;
  assert.ok(memory !== undefined);
  const pattern = new RegExp(memory);
  for (const size of ["2GiB", "512mib", "1.5G", "100kb", "10"]) assert.match(size, pattern);
});
