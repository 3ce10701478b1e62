/**
 * docs/reference/api.md, from the OpenAPI document the engine serves at
 * GET /api/v1/openapi.json (built from the route table, whose zod schemas
 * also validate every request): each route with its method, scope,
 * parameters, request body, responses, and the objects they carry.
 */
import { buildOpenApi } from "../api/openapi.js";
import { ROUTES } from "../api/routes/index.js";
import { code, generatedNote, Headings, prose, table } from "./markdown.js";
import { typeText, type JsonSchema, type RefText } from "./schema-types.js";

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

interface Operation {
  summary: string;
  tags: string[];
  "x-spire-scope"?: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; headers?: Record<string, { description: string }>; content?: Record<string, { schema: JsonSchema }> }>;
}

interface OpenApi {
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, { description?: string }> };
}

const REF_PREFIX = "#/components/schemas/";

/** One row per field, nested objects (and lists of them) spelled out as `outer.inner` and `list[].inner`. */
function fieldRows(schema: JsonSchema, ref: RefText, prefix = ""): string[][] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([key, property]) => {
    const name = `${prefix}${key}`;
    const row = [code(name), typeText(property, ref), required.has(key) ? "yes" : "", prose(property.description ?? "")];
    const inner = property.properties ? property : property.items?.properties ? property.items : undefined;
    return [row, ...(inner ? fieldRows(inner, ref, `${name}${inner === property ? "." : "[]."}`) : [])];
  });
}

function fieldsTable(schema: JsonSchema, ref: RefText): string {
  return table(["field", "type", "required", "description"], fieldRows(schema, ref));
}

function bodyText(schema: JsonSchema | undefined, contentType: string, ref: RefText): string {
  if (schema === undefined) return contentType === "application/json" ? "" : code(contentType);
  const type = typeText(schema, ref);
  return contentType === "application/json" ? type : `${type} (${code(contentType)})`;
}

function operationSection(operation: Operation, heading: string, ref: RefText): string[] {
  const scope = operation["x-spire-scope"];
  const out = [
    heading,
    prose(operation.summary),
    scope === undefined
      ? "Scope: open (no API token)."
      : scope === "worker"
        ? `Scope: ${code(scope)} (a worker's token, or an admin one).`
        : `Scope: ${code(scope)} (a token of this scope or a larger one).`,
  ];
  if (operation.parameters.length > 0) {
    out.push(
      table(
        ["parameter", "in", "type", "required", "description"],
        operation.parameters.map((parameter) => [
          code(parameter.name),
          parameter.in,
          `${typeText(parameter.schema, ref)}${parameter.schema.default !== undefined ? `, default ${code(String(parameter.schema.default))}` : ""}`,
          parameter.required ? "yes" : "",
          prose(parameter.description ?? ""),
        ]),
      ),
    );
  }
  const body = operation.requestBody;
  if (body !== undefined) {
    const json = body.content["application/json"]?.schema;
    const texts = Object.keys(body.content).filter((type) => type !== "application/json");
    out.push(`Request body (${body.required ? "required" : "optional"}): ${[json ? code("application/json") : "", ...texts.map(code)].filter(Boolean).join(", ")}.`);
    if (json?.properties) out.push(fieldsTable(json, ref));
  }
  out.push(
    table(
      ["status", "meaning", "body"],
      Object.entries(operation.responses).map(([status, response]) => {
        const [contentType, content] = Object.entries(response.content ?? {})[0] ?? ["application/json", undefined];
        return [code(status), prose(response.description), bodyText(content?.schema, contentType, ref)];
      }),
    ),
  );
  for (const [status, response] of Object.entries(operation.responses)) {
    const headers = Object.entries(response.headers ?? {});
    if (headers.length > 0) out.push(`Headers of a ${code(status)} answer:`, table(["header", "description"], headers.map(([name, header]) => [code(name), prose(header.description)])));
  }
  return out;
}

export function apiReference(): string {
  const document = buildOpenApi(ROUTES) as unknown as OpenApi;
  const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })));
  const tags = [...new Set(operations.map(({ operation }) => operation.tags[0] ?? "other"))];
  const schemas = Object.entries(document.components.schemas).sort(([a], [b]) => a.localeCompare(b));

  const headings = new Headings();
  const title = headings.add(1, "The HTTP API");
  const errorsHeading = headings.add(2, "Errors");
  const routesHeading = headings.add(2, "Routes");
  const operationHeadings = new Map<string, string>();
  const byTag = tags.map((tag) => {
    const tagHeading = headings.add(2, capital(tag));
    const within = operations.filter(({ operation }) => (operation.tags[0] ?? "other") === tag);
    return { tagHeading, within: within.map((entry) => ({ ...entry, heading: headings.add(3, code(`${entry.method} ${entry.path}`)) })) };
  });
  for (const { within } of byTag) for (const entry of within) operationHeadings.set(`${entry.method} ${entry.path}`, entry.heading.anchor);
  const objectsHeading = headings.add(2, "Objects");
  const objectAnchors = new Map(schemas.map(([name]) => [name, headings.add(3, name).anchor]));
  const ref: RefText = (target) => {
    const name = target.replace(REF_PREFIX, "");
    return `[${name}](#${objectAnchors.get(name)})`;
  };

  const bearer = document.components.securitySchemes["bearer"]?.description ?? "";
  const out = [
    title.line,
    generatedNote("the route table in src/api/routes (the same document the engine serves at GET /api/v1/openapi.json)"),
    prose(document.info.description),
    prose(
      `Every route is under /api/v1 and speaks JSON unless it says otherwise. Every route but GET /api/v1/health needs Authorization: Bearer TOKEN: ${bearer} A route's scope is the least a token needs; read < run < admin. A worker token (scope worker) is good only on the routes whose scope is worker, which take an admin token too. Parameters and bodies are checked against the schemas below; a request that does not fit them is answered with 400 and the list of problems.`,
    ),
    errorsHeading.line,
    prose("Every refusal has the same body, with the status that says what kind it is:"),
    fieldsTable(document.components.schemas["Error"] ?? {}, ref),
    routesHeading.line,
    table(
      ["method", "path", "scope", "what it does"],
      operations.map(({ method, path, operation }) => [
        code(method),
        `[${code(path)}](#${operationHeadings.get(`${method} ${path}`)})`,
        operation["x-spire-scope"] ?? "open",
        prose(operation.summary.split(/(?<=\.)\s/)[0] ?? ""),
      ]),
    ),
  ];
  for (const { tagHeading, within } of byTag) {
    out.push(tagHeading.line);
    for (const entry of within) out.push(...operationSection(entry.operation, entry.heading.line, ref));
  }
  out.push(objectsHeading.line, prose("The objects that requests and answers carry, by the names the OpenAPI document gives them."));
  for (const [name, schema] of schemas) {
    out.push(`### ${name}`);
    if (schema.description) out.push(prose(schema.description));
    out.push(schema.properties ? fieldsTable(schema, ref) : `Type: ${typeText(schema, ref)}`);
  }
  return `${out.join("\n\n")}\n`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
