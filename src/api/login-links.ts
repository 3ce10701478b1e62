/**
 * One-time login links for the web UI (`spire ui`): a random code that stands
 * for the token that asked for it, good once and for 60 seconds. The code
 * travels in the URL's fragment (`/login#code=…`), which a browser never
 * sends to a server, so it is in no access log; the login page posts it to
 * POST /sessions, which turns it into a session cookie.
 *
 * Codes live in this engine's memory: the browser is sent to the engine
 * that made the link, and a restart simply voids the links not yet used.
 */
import { randomBytes } from "node:crypto";
import type { Actor } from "../engine/service.js";

export const LOGIN_LINK_TTL_MS = 60_000;
/** More links than anyone opens in a minute; beyond it the oldest is dropped, so memory stays bounded. */
const MAX_PENDING = 100;

export class LoginLinks {
  private readonly pending = new Map<string, { actor: Actor; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  create(actor: Actor): { code: string; expiresAt: number } {
    this.sweep();
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    const code = randomBytes(32).toString("base64url");
    const expiresAt = this.now() + LOGIN_LINK_TTL_MS;
    this.pending.set(code, { actor, expiresAt });
    return { code, expiresAt };
  }

  /** The actor the code stands for, once: a used, expired or unknown code gives undefined. */
  redeem(code: string): Actor | undefined {
    const entry = this.pending.get(code);
    this.pending.delete(code);
    return entry && entry.expiresAt > this.now() ? entry.actor : undefined;
  }

  private sweep(): void {
    const now = this.now();
    for (const [code, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(code);
  }
}
