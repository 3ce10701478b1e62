/**
 * prunner's authentication: `Authorization: Bearer <JWT>`, HS256 with the
 * shared secret. The refusals say what prunner's (go-chi/jwtauth) say, as
 * plain text with status 401, so clients that read them see the same thing.
 */
import { SignJWT, errors, jwtVerify } from "jose";

export type PrunnerAuth = { ok: true; sub: string | undefined } | { ok: false; message: string };

/** jwtauth's texts: no token, an expired one, one not valid yet, any other bad token. */
export const REFUSALS = {
  noToken: "no token found",
  expired: "token is expired",
  notYetValid: "token nbf validation failed",
  issuedLater: "token iat validation failed",
  unauthorized: "token is unauthorized",
} as const;

/** The token of an Authorization header, as jwtauth finds it ("Bearer", any case, then one space). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length <= 7 || header.slice(0, 6).toUpperCase() !== "BEARER") return undefined;
  return header.slice(7);
}

export async function verifyPrunnerToken(header: string | undefined, key: Uint8Array, now = Date.now()): Promise<PrunnerAuth> {
  const token = bearerToken(header);
  if (token === undefined) return { ok: false, message: REFUSALS.noToken };
  try {
    // Only HS256: an unsigned token (alg none) or another algorithm is refused.
    const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], currentDate: new Date(now) });
    // As prunner's JWT library checks: a token issued in the future is not good yet.
    if (typeof payload.iat === "number" && payload.iat * 1000 > now + 1000) return { ok: false, message: REFUSALS.issuedLater };
    return { ok: true, sub: typeof payload.sub === "string" && payload.sub !== "" ? payload.sub : undefined };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, message: REFUSALS.expired };
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === "nbf") return { ok: false, message: REFUSALS.notYetValid };
    return { ok: false, message: REFUSALS.unauthorized };
  }
}

/** A token for prunner's API (what `spire token prunner` prints): `sub` names the user in the audit. */
export async function signPrunnerToken(key: Uint8Array, options: { sub?: string; ttlSeconds?: number; now?: number } = {}): Promise<string> {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(now);
  if (options.sub !== undefined) jwt.setSubject(options.sub);
  if (options.ttlSeconds !== undefined) jwt.setExpirationTime(now + options.ttlSeconds);
  return jwt.sign(key);
}
