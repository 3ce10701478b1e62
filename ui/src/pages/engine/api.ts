/** Calls of the engine page (docs/reference/api.md: System, Admin, Sessions). */
import { del, get, post, segment } from "../../api/client";
import type { ApiSchema, Scope } from "../../api/types";

export type Health = ApiSchema<"Health">;

export function getHealth(): Promise<Health> {
  return get<Health>("/health");
}

/** GET /engine. Paths (data_dir, store.location) only for an admin. */
export type EngineInfo = ApiSchema<"EngineInfo">;

export function getEngineInfo(): Promise<EngineInfo> {
  return get<EngineInfo>("/engine");
}

export type TokenInfo = ApiSchema<"Token">;
/** A session, with the name of the token it was made from. */
export type SessionRecord = ApiSchema<"Session">;

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

export type AuditPage = ApiSchema<"AuditPage">;
export type AuditEntry = AuditPage["entries"][number];

export function listAudit(query: Record<string, string | number | undefined>): Promise<AuditPage> {
  return get<AuditPage>("/audit", { query });
}
