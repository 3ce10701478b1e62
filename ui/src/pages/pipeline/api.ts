/** Calls of the pipeline page the scaffold's API modules do not have (docs/reference/api.md). */
import { get, segment } from "../../api/client";

const base = (ns: string, name: string) => `/pipelines/${segment(ns)}/${segment(name)}`;

export interface MissedRecord {
  seq: number;
  namespace: string;
  pipeline: string;
  /** The trigger: its index in `triggers` and its kind, such as 0:cron. */
  trigger_key: string;
  detected_at: string;
  count: number;
  count_exact: boolean;
  first_slot: string;
  last_slot: string;
  /** Up to 100, the newest, oldest first. */
  slots: string[];
  reason: string;
  run_id: string | null;
}

export interface MissedPage {
  missed: MissedRecord[];
  next_cursor: number | null;
}

export function listMissed(ns: string, name: string, options: { limit?: number; before?: number } = {}): Promise<MissedPage> {
  return get<MissedPage>(`${base(ns, name)}/missed`, { query: { limit: options.limit, before: options.before } });
}

export interface HookInfo {
  /** The path to POST to, under the engine's address. */
  path: string;
  token: string;
  /** The pipeline has a webhook trigger (the token does nothing otherwise). */
  enabled: boolean;
}

/** Admin only. */
export function getHook(ns: string, name: string): Promise<HookInfo> {
  return get<HookInfo>(`${base(ns, name)}/hook`);
}

export interface NamespaceInfo {
  name: string;
  origin: { host: string; user: string; path: string | null; applied_at: string; author: string | null };
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export async function listNamespaces(): Promise<NamespaceInfo[]> {
  return (await get<{ namespaces: NamespaceInfo[] }>("/namespaces")).namespaces;
}
