/**
 * A worker's token as `spire service` sees it: read (not verified: only the
 * engine can) to refuse early what the engine would refuse later, and to
 * say which token a service holds without ever printing it.
 */
import { decodeJwt } from "jose";
import { CliError, EXIT } from "./errors.js";

export interface TokenClaims {
  /** The token's id (`spire token list`, `spire token revoke ID`). */
  id?: string;
  name?: string;
  scope?: string;
  /** Epoch seconds. */
  expires?: number;
}

/** What a Spire token says about itself; undefined for text that is not one. */
export function tokenClaims(token: string): TokenClaims | undefined {
  try {
    const claims = decodeJwt(token);
    const text = (value: unknown) => (typeof value === "string" ? value : undefined);
    return {
      ...(text(claims.jti) !== undefined ? { id: claims.jti! } : {}),
      ...(text(claims.sub) !== undefined ? { name: claims.sub! } : {}),
      ...(text(claims.scope) !== undefined ? { scope: claims.scope as string } : {}),
      ...(typeof claims.exp === "number" ? { expires: claims.exp } : {}),
    };
  } catch {
    return undefined;
  }
}

const MAKE_ONE = "On the engine's machine: spire token create --scope worker --name MY-WORKER";

/**
 * Refuses a token the engine would refuse a worker: not a Spire token
 * (a paste cut short, a path instead of its content), expired, or of a
 * scope that cannot reach the worker routes. `from` names where it came
 * from (--token, SPIRE_TOKEN); the token itself is never in a message.
 */
export function checkWorkerToken(token: string, from: string, now = Date.now()): TokenClaims {
  const claims = /^[A-Za-z0-9_.-]+$/.test(token) ? tokenClaims(token) : undefined;
  if (claims === undefined) {
    throw new CliError(`${from} is not a Spire token (one is three parts of letters, digits, - and _ joined by dots, starting eyJ)`, EXIT.usage, `Give the token itself, e.g. --token "$(cat worker.token)". ${MAKE_ONE}`);
  }
  if (claims.expires !== undefined && claims.expires * 1000 <= now) {
    throw new CliError(`${from}: the token${claims.name ? ` ${claims.name}` : ""} expired at ${new Date(claims.expires * 1000).toISOString()}`, EXIT.usage, MAKE_ONE);
  }
  if (claims.scope !== "worker" && claims.scope !== "admin") {
    throw new CliError(`${from}: the token${claims.name ? ` ${claims.name}` : ""} has the scope ${claims.scope ?? "(none)"}, which cannot run tasks as a worker`, EXIT.usage, MAKE_ONE);
  }
  return claims;
}

/** The token in words, for status and install: its name, scope, id and expiry, never the token. */
export function describeToken(claims: TokenClaims | undefined): string {
  if (claims === undefined) return "not a Spire token";
  const parts = [`${claims.scope ?? "no"} scope`, ...(claims.id ? [`id ${claims.id}`] : []), claims.expires !== undefined ? `expires ${new Date(claims.expires * 1000).toISOString()}` : "does not expire"];
  return `${claims.name ?? "(no name)"} (${parts.join(", ")})`;
}
