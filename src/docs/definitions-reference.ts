/**
 * docs/reference/definitions.md, generated from schema/spire.schema.json
 * (itself generated from the zod schema): every key of spire.yaml with its
 * type, default, description and examples, section by section as the keys
 * nest. The descriptions and examples live with the keys in
 * src/definitions/schema.ts; this file only lays them out.
 */
import { buildJsonSchema } from "../definitions/json-schema.js";
import { duration, NAME_PATTERN, size } from "../definitions/schema.js";
import { code, generatedNote, Headings, prose } from "./markdown.js";
import { typeText, type JsonSchema } from "./schema-types.js";
import { flowYaml, yamlLine } from "./yaml-example.js";

/** How a map's keys are shown in a path: `pipelines.<pipeline>.tasks.<task>`. */
const PLACEHOLDERS: Record<string, string> = { pipelines: "pipeline", tasks: "task", group: "task", args: "arg" };

interface Section {
  /** The key path of the object, `` for the file itself. */
  path: string;
  description: string;
  schema: JsonSchema;
}

interface Walk {
  defs: Record<string, JsonSchema>;
  sections: Section[];
  /** Where each named definition ($ref) was first described. */
  refPaths: Map<string, string>;
  /** The sections a key leads to, by the key's path. */
  leadsTo: Map<string, string[]>;
}

/** The kinds of value described once, at the top, and linked from each key of that kind. */
const UNITS = [
  ["duration", "Durations", prose(duration.meta()?.description ?? "")],
  ["size", "Sizes", prose(size.meta()?.description ?? "")],
  [
    "name",
    "Names",
    `Names of pipelines, tasks, arguments, locks and matrix keys: letters, digits, ${code("_")}, ${code(".")} and ${code("-")}, not starting with ${code(".")} or ${code("-")} (${code(NAME_PATTERN.source)}). They appear in task paths such as ${code("checks/size")} and ${code("shards[2]")}.`,
  ],
] as const;

const join = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);

function walkObject(walk: Walk, schema: JsonSchema, path: string, description: string): void {
  walk.sections.push({ path, description, schema });
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const keyPath = join(path, key);
    walk.leadsTo.set(keyPath, []);
    walkValue(walk, property, keyPath, key, { path: keyPath, description: property.description ?? "" });
  }
}

/** Finds the objects inside a key's value (through unions, lists and maps), each a section of its own. */
function walkValue(walk: Walk, schema: JsonSchema, path: string, key: string, owner: { path: string; description: string }): void {
  if (schema.$ref !== undefined) {
    const known = walk.refPaths.get(schema.$ref);
    if (known !== undefined) {
      walk.leadsTo.get(owner.path)!.push(known);
      return;
    }
    const target = walk.defs[schema.$ref.replace("#/$defs/", "")]!;
    walk.refPaths.set(schema.$ref, path);
    walkValue(walk, target, path, key, owner);
    return;
  }
  for (const branch of schema.anyOf ?? schema.oneOf ?? []) walkValue(walk, branch, path, key, owner);
  if (schema.items !== undefined) walkValue(walk, schema.items, `${path}[]`, key, owner);
  if (schema.properties !== undefined) {
    walk.leadsTo.get(owner.path)!.push(path);
    walkObject(walk, schema, path, schema.description ?? owner.description);
  } else if (typeof schema.additionalProperties === "object") {
    walkValue(walk, schema.additionalProperties, `${path}.<${PLACEHOLDERS[key] ?? "name"}>`, key, owner);
  }
}

function sectionTitle(path: string): string {
  return path === "" ? "The file" : code(path);
}

export function definitionsReference(): string {
  const schema = buildJsonSchema() as JsonSchema & { title: string; $defs: Record<string, JsonSchema> };
  const walk: Walk = { defs: schema.$defs, sections: [], refPaths: new Map(), leadsTo: new Map() };
  walkObject(walk, schema, "", schema.description ?? "");

  // Anchors first, in the order the headings appear, so that a key can link to a section further down.
  const headings = new Headings();
  const title = headings.add(1, "The definitions file");
  const valuesHeading = headings.add(2, "Values");
  const unitHeadings = UNITS.map(([unit, heading, description]) => ({ unit, description, heading: headings.add(3, heading) }));
  const unitAnchors = new Map<string, string>(unitHeadings.map(({ unit, heading }) => [unit, heading.anchor]));
  const contents = headings.add(2, "Contents");
  const anchors = new Map<string, string>();
  for (const section of walk.sections) {
    anchors.set(section.path, headings.add(2, sectionTitle(section.path)).anchor);
    for (const key of Object.keys(section.schema.properties ?? {})) headings.add(3, code(key));
  }
  const linkUnits = (type: string) => type.replace(/^(duration|size|name)\b/, (unit) => `[${unit}](#${unitAnchors.get(unit)})`);
  const link = (path: string) => `[${path === "" ? "The file" : code(path)}](#${anchors.get(path)})`;
  const refText = (ref: string) => `[${ref.replace("#/$defs/", "")}](#${anchors.get(walk.refPaths.get(ref) ?? "")})`;

  const out: string[] = [
    title.line,
    generatedNote("the schema in src/definitions/schema.ts (the same one that makes schema/spire.schema.json)"),
    prose(
      `Every key of a definitions file (spire.yaml), as spire validate checks it. Editors show the same descriptions on hover when the file starts with # yaml-language-server: $schema=… pointing at schema/spire.schema.json. A key not listed here is an error (with a did-you-mean), except top-level keys that start with x-, which Spire ignores: a place for YAML anchors that pipelines reuse (x-defaults: &defaults { timeout: 5m, retries: 2 }, then <<: *defaults in a task).`,
    ),
    valuesHeading.line,
    ...unitHeadings.flatMap(({ heading, description }) => [heading.line, description]),
    contents.line,
    walk.sections.map((section) => `- ${link(section.path)}${section.path === "" ? "" : `: ${prose(firstSentence(section.description))}`}`).join("\n"),
  ];
  for (const section of walk.sections) {
    out.push(`## ${sectionTitle(section.path)}`);
    if (section.description) out.push(prose(section.description));
    const required = new Set(section.schema.required ?? []);
    for (const [key, property] of Object.entries(section.schema.properties ?? {})) {
      const keyPath = join(section.path, key);
      out.push(`### ${code(key)}`);
      const facts = [`Type: ${linkUnits(typeText(property, refText))}`];
      if (property.default !== undefined) facts.push(`Default: ${code(flowYaml(property.default))}`);
      else facts.push(required.has(key) ? "Required" : "Optional");
      const sections = walk.leadsTo.get(keyPath) ?? [];
      if (sections.length > 0) facts.push(`See: ${sections.map(link).join(", ")}`);
      out.push(facts.join(" · "));
      out.push(prose(property.description ?? ""));
      const examples = property.examples ?? [];
      if (examples.length > 0) out.push(`${examples.length === 1 ? "Example" : "Examples"}: ${examples.map((example) => code(yamlLine(key, example))).join(", ")}`);
    }
  }
  return `${out.join("\n\n")}\n`;
}

function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
}
