/**
 * What this engine's API can do, read once from its own OpenAPI document:
 * which routes exist and which query parameters they take. Pages send a
 * filter to the engine when it accepts one and apply it in the browser
 * otherwise, so the same UI works with an older engine and uses a newer
 * one's filters as soon as they exist. (Unknown query parameters are
 * refused with 400, so guessing is not an option.)
 */
import { get } from "../../api/client";

interface Operation {
  parameters?: { name: string; in: string; schema?: { enum?: unknown[] } }[];
}
type Paths = Record<string, Record<string, Operation>>;

let document: Promise<Paths | null> | undefined;

function paths(): Promise<Paths | null> {
  document ??= get<{ paths?: Paths }>("/openapi.json").then(
    (answer) => answer.paths ?? null,
    () => {
      // Without the document every filter is applied in the browser; ask again on the next page.
      document = undefined;
      return null;
    },
  );
  return document;
}

function operation(all: Paths | null, method: string, path: string): Operation | undefined {
  return all?.[`/api/v1${path}`]?.[method.toLowerCase()];
}

/** Whether the engine has this route (path as in the OpenAPI document, e.g. "/pipelines/{ns}/{name}/history"). */
export async function hasRoute(method: "GET" | "POST" | "DELETE", path: string): Promise<boolean> {
  return operation(await paths(), method, path) !== undefined;
}

/** The query parameters a route takes; empty when unknown. */
export async function queryParameters(method: "GET" | "POST" | "DELETE", path: string): Promise<Set<string>> {
  const found = operation(await paths(), method, path);
  return new Set((found?.parameters ?? []).filter((parameter) => parameter.in === "query").map((parameter) => parameter.name));
}

/** The values an enum query parameter takes (the trigger kinds a filter accepts, say); undefined when it is not an enum. */
export async function parameterValues(method: "GET" | "POST" | "DELETE", path: string, name: string): Promise<unknown[] | undefined> {
  const found = operation(await paths(), method, path);
  return found?.parameters?.find((parameter) => parameter.in === "query" && parameter.name === name)?.schema?.enum;
}
