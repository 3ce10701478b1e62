/**
 * The OpenAPI 3.1 document, generated from the route table: the same zod
 * schemas validate requests, so the document is what the server enforces.
 * Schemas with an id (`.meta({ id })`) land once in components.schemas.
 */
import { z } from "zod";
import { VERSION } from "../version.js";
import type { AnyRoute, ResponseDef } from "./route.js";
import { errorSchema } from "./schemas.js";

type Json = Record<string, unknown>;

const TEXT_TYPES = ["text/yaml", "application/yaml", "text/plain"];

class SchemaCollector {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: "input" | "output"): Json {
    const generated = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any", reused: "inline" }) as Json;
    const { $schema: _ignored, $defs, ...rest } = generated;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) this.components[id] = retarget(def);
    const id = schema.meta()?.id;
    if (typeof id === "string") {
      // zod may put a schema with an id in $defs itself and answer a bare $ref to it:
      // the component is then that definition, not the $ref (which would point at itself).
      if (!(typeof rest.$ref === "string" && rest.$ref === `#/$defs/${id}`)) this.components[id] = retarget(rest);
      return { $ref: `#/components/schemas/${id}` };
    }
    return retarget(rest);
  }
}

/** zod writes `#/$defs/X`; in OpenAPI the shared schemas live under components. */
function retarget(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
}

function parameters(collector: SchemaCollector, where: "path" | "query", schema: z.ZodType | undefined): Json[] {
  if (!schema) return [];
  const object = collector.convert(schema, "input");
  const required = new Set((object.required as string[] | undefined) ?? []);
  return Object.entries((object.properties ?? {}) as Record<string, Json>).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === "path" || required.has(name), schema: rest, ...(description ? { description } : {}) };
  });
}

function requestBody(collector: SchemaCollector, route: AnyRoute): Json | undefined {
  if (!route.body && !route.textBody) return undefined;
  const content: Json = {};
  if (route.body) content["application/json"] = { schema: collector.convert(route.body, "input") };
  if (route.textBody) for (const type of TEXT_TYPES) content[type] = { schema: { type: "string" } };
  return { required: route.method === "POST" && route.textBody === true, content };
}

function responses(collector: SchemaCollector, route: AnyRoute): Json {
  const out: Json = {};
  const errorRef = collector.convert(errorSchema, "output");
  const errors: ResponseDef[] = [{ status: 400, description: "Invalid parameters or body; details list each problem." }];
  if (route.scope !== "open") {
    errors.push({ status: 401, description: "No token, or one that is bad, expired or revoked." });
    const refused = route.scope === "worker" ? "The token is neither a worker's nor an admin's" : `The token's scope is below \`${route.scope}\``;
    errors.push({ status: 403, description: `${refused}, or the Host/Origin is not allowed.` });
  }
  if (route.body || route.textBody) {
    errors.push({ status: 413, description: "The body is larger than 5 MiB." }, { status: 415, description: "Unsupported Content-Type." });
  }
  for (const response of [...route.responses, ...errors]) {
    const contentType = response.contentType ?? "application/json";
    const schema = response.schema ? collector.convert(response.schema, "output") : response.status >= 400 ? errorRef : undefined;
    out[String(response.status)] = {
      description: response.description,
      ...(response.headers ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: "string" } }])) } : {}),
      ...(schema || response.contentType ? { content: { [contentType]: { schema: schema ?? { type: "string" } } } } : {}),
    };
  }
  return out;
}

const operationId = (route: AnyRoute) =>
  `${route.method.toLowerCase()}${route.path.replace(/\{([a-z_]+)\}/g, "By_$1").split(/[^A-Za-z0-9]+/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("")}`;

export function buildOpenApi(routes: readonly AnyRoute[]): Json {
  const collector = new SchemaCollector();
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = `/api/v1${route.path}`;
    paths[path] ??= {};
    const body = requestBody(collector, route);
    paths[path][route.method.toLowerCase()] = {
      operationId: operationId(route),
      summary: route.summary,
      tags: [route.tag],
      security: route.scope === "open" ? [] : [{ bearer: [] }],
      ...(route.scope === "open" ? {} : { "x-spire-scope": route.scope }),
      parameters: [...parameters(collector, "path", route.params), ...parameters(collector, "query", route.query)],
      ...(body ? { requestBody: body } : {}),
      responses: responses(collector, route),
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Spire API", version: VERSION, description: "Spire's engine: pipelines, runs, logs and tokens. Scopes: read < run < admin; worker, apart, only for the routes a worker on another machine uses." },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: collector.components,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An HS256 token from `spire token create`." } },
    },
  };
}
