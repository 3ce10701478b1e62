/**
 * The web UI's session cookie: HttpOnly (no script reads it), SameSite=Strict
 * (no other site's page sends it), Path=/ and, behind TLS, Secure. It holds
 * the session's JWT; requests that change something also carry the CSRF
 * token in a header (see register.ts).
 */
export const SESSION_COOKIE = "spire_session";
export const CSRF_HEADER = "x-spire-csrf";

/** The session cookie's value in a Cookie header, or undefined. */
export function sessionCookieOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) {
      const value = part.slice(at + 1).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}

/** A Set-Cookie value that sets the session for `maxAgeMs`, or clears it (maxAgeMs 0). */
export function sessionCookie(value: string, maxAgeMs: number, secure: boolean): string {
  // A JWT is base64url and dots: nothing in it needs quoting.
  const parts = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}
