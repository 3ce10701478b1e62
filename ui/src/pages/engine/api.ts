/** Calls of the engine page (docs/reference/api.md: System, Admin, Sessions). */
import { del, get, post, segment } from "../../api/client";
import type { Scope } from "../../api/types";

export interface Health {
  status: "ok" | "draining";
  version: string;
  uptime_ms: number;
}

export function getHealth(): Promise<Health> {
  return get<Health>("/health");
}

/** GET /engine (docs/reference/api.md, EngineInfo). Paths (data_dir, store.location) only for an admin. */
export interface EngineInfo extends Health {
  started_at: string;
  pid: number;
  node: string;
  data_dir?: string;
  store: { kind: "sqlite" | "postgres"; location?: string };
  /** null for an engine alone on its store. */
  scheduling?: { leading: boolean } | null;
  executor: "supervisor" | "in-process";
  supervisor: { pid: number | null; started_at: string | null; connected: boolean; lost_reason: string | null } | null;
  capacity: {
    task_slots: { used: number; total: number };
    cpus: { reserved: number; total: number; from: string };
    memory_bytes: { reserved: number; total: number; from: string };
  };
  runs: { running: number; waiting: number };
  locks: { name: string; capacity: number; declared: Record<string, number>; held: number; holders: { run_id: string; task: string | null; count: number }[] }[];
  queues: { namespace: string; pipeline: string; running: number; waiting: number }[];
}

export function getEngineInfo(): Promise<EngineInfo> {
  return get<EngineInfo>("/engine");
}

export interface TokenInfo {
  id: string;
  name: string;
  scope: Scope;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface SessionRecord extends TokenInfo {
  /** The name of the token the session was made from. */
  from: string | null;
}

export async function listTokens(): Promise<TokenInfo[]> {
  return (await get<{ tokens: TokenInfo[] }>("/tokens")).tokens;
}

/** 201: the token itself (this once) and its record; 409 when the name is taken. */
export function createToken(body: { name: string; scope: Scope; ttl?: string }): Promise<{ token: string; info: TokenInfo }> {
  return post<{ token: string; info: TokenInfo }>("/tokens", body);
}

export function revokeToken(id: string): Promise<void> {
  return del(`/tokens/${segment(id)}`);
}

export async function listSessions(): Promise<SessionRecord[]> {
  return (await get<{ sessions: SessionRecord[] }>("/sessions")).sessions;
}

export function revokeSession(id: string): Promise<void> {
  return del(`/sessions/${segment(id)}`);
}

export interface AuditEntry {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_cursor: number | null;
}

export function listAudit(query: Record<string, string | number | undefined>): Promise<AuditPage> {
  return get<AuditPage>("/audit", { query });
}
