/**
 * Who is logged in. The session itself is an HttpOnly cookie the page never
 * sees; what the page keeps is the name, the scope and the CSRF token.
 */
import { computed, signal } from "@preact/signals";
import { del, get, post, setCsrf } from "./client";
import type { Scope, SessionInfo, WhoAmI } from "./types";

export const whoAmI = signal<WhoAmI | null>(null);

// A worker token reaches none of the rest.
const RANK: Record<Scope, number> = { worker: -1, read: 0, run: 1, admin: 2 };

/** Whether the session's scope reaches `scope` (read < run < admin). */
export function allows(scope: Scope): boolean {
  const mine = whoAmI.value?.scope;
  return mine !== undefined && RANK[mine] >= RANK[scope];
}

export const canRun = computed(() => allows("run"));
export const isAdmin = computed(() => allows("admin"));

/** GET /session; null when not logged in (401). Other failures are thrown. */
export async function loadSession(): Promise<WhoAmI | null> {
  try {
    const answer = await get<WhoAmI>("/session", { quietUnauthorized: true });
    setCsrf(answer.csrf);
    whoAmI.value = answer;
    return answer;
  } catch (error) {
    if ((error as { status?: number }).status === 401) {
      whoAmI.value = null;
      return null;
    }
    throw error;
  }
}

/** POST /sessions with a login link's code or a pasted API token; the cookie is set by the answer. */
export async function logIn(credential: { code: string } | { token: string }): Promise<void> {
  const answer = await post<{ session: SessionInfo; csrf: string }>("/sessions", credential, { quietUnauthorized: true });
  setCsrf(answer.csrf);
  // The full picture (name, scope) comes from GET /session, as on any later page load.
  await loadSession();
}

export async function logOut(): Promise<void> {
  try {
    await del("/session", { quietUnauthorized: true });
  } finally {
    setCsrf(null);
    whoAmI.value = null;
  }
}
