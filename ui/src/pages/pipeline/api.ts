/** Calls of the pipeline page the scaffold's API modules do not have (docs/reference/api.md). */
import { get, segment } from "../../api/client";
import type { Answer, ApiSchema } from "../../api/types";

const base = (ns: string, name: string) => `/pipelines/${segment(ns)}/${segment(name)}`;

export type MissedPage = ApiSchema<"MissedPage">;
export type MissedRecord = MissedPage["missed"][number];

export function listMissed(ns: string, name: string, options: { limit?: number; before?: number } = {}): Promise<MissedPage> {
  return get<MissedPage>(`${base(ns, name)}/missed`, { query: { limit: options.limit, before: options.before } });
}

/** The path to POST to (under the engine's address), the token, and whether the pipeline has a webhook trigger. */
export type HookInfo = Answer<"getPipelinesByNsByNameHook">;

/** Admin only. */
export function getHook(ns: string, name: string): Promise<HookInfo> {
  return get<HookInfo>(`${base(ns, name)}/hook`);
}

export type NamespaceInfo = ApiSchema<"Namespace">;

export async function listNamespaces(): Promise<NamespaceInfo[]> {
  return (await get<{ namespaces: NamespaceInfo[] }>("/namespaces")).namespaces;
}
