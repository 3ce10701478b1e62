/**
 * Browser sessions for the web UI (SPEC §5): a one-time login link made by a
 * token (`spire ui`), or a pasted token, becomes an HttpOnly session cookie;
 * the page learns its CSRF token from GET /session. Sessions are listed and
 * revoked like tokens, and end with the token they were made from.
 */
import { z } from "zod";
import type { FastifyRequest } from "fastify";
import { ApiError } from "../errors.js";
import { route } from "../route.js";
import { sessionInfo, tokenInfo, tokenScope } from "../schemas.js";
import { LOGIN_LINK_TTL_MS } from "../login-links.js";
import { CSRF_HEADER, SESSION_COOKIE, sessionCookie } from "../session-cookie.js";

const tokenId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected a session id" });

/** Behind a TLS proxy the cookie must be Secure, so it never crosses a network in clear. */
function secure(request: FastifyRequest): boolean {
  return request.protocol === "https" || request.headers["x-forwarded-proto"] === "https";
}

const loginLink = route({
  method: "POST",
  path: "/ui/login-link",
  scope: "read",
  tag: "sessions",
  summary: `A one-time link into the web UI with this token's scope, good once and for ${LOGIN_LINK_TTL_MS / 1000} s (what \`spire ui\` opens). The code is in the URL's fragment, which browsers never send to a server.`,
  status: 201,
  responses: [
    {
      status: 201,
      description: "The link's path (append it to the engine's address) and when it stops working.",
      schema: z.object({ path: z.string(), expires_at: z.string() }),
    },
  ],
  async handler({ actor, deps }) {
    const { code, expiresAt } = deps.loginLinks.create(actor!);
    return { path: `/login#code=${code}`, expires_at: new Date(expiresAt).toISOString() };
  },
});

const login = route({
  method: "POST",
  path: "/sessions",
  scope: "open",
  tag: "sessions",
  summary: `Log in: a login link's code, or an API token, becomes a session cookie (${SESSION_COOKIE}, HttpOnly, SameSite=Strict) with that token's scope. Requests that change something with the cookie must send the answer's csrf in ${CSRF_HEADER}.`,
  body: z.union(
    [
      z.strictObject({ code: z.string().min(1).max(200).meta({ description: "The code after #code= in a login link." }) }),
      z.strictObject({ token: z.string().min(1).max(4096).meta({ description: "An API token (spire token create)." }) }),
    ],
    { error: "expected { code } from a login link or { token }" },
  ),
  status: 201,
  responses: [
    { status: 201, description: "The session (the cookie is set) and its CSRF token.", schema: z.object({ session: tokenInfo, csrf: z.string() }) },
    { status: 401, description: "The code was used, expired or unknown, or the token is not valid." },
  ],
  async handler({ body, deps, reply, request }) {
    const from =
      "code" in body
        ? deps.loginLinks.redeem(body.code)
        : await deps.auth.verify(body.token);
    if (!from) {
      throw new ApiError(
        "unauthorized",
        "code" in body
          ? "this login link was used already or is older than a minute: run spire ui again"
          : "the token is not valid: it is malformed, expired or revoked, or was made by another engine",
      );
    }
    const { token, info, csrf } = await deps.auth.startSession(from);
    const maxAge = info.expires_at === null ? 0 : Date.parse(info.expires_at) - Date.now();
    reply.header("set-cookie", sessionCookie(token, maxAge, secure(request)));
    return { session: info, csrf };
  },
});

const current = route({
  method: "GET",
  path: "/session",
  scope: "read",
  tag: "sessions",
  summary: `Who is logged in: the session (null for an API token), the scope, and the CSRF token to send in ${CSRF_HEADER}.`,
  responses: [
    {
      status: 200,
      description: "The caller.",
      schema: z.object({ name: z.string(), scope: tokenScope, session: tokenInfo.nullable(), csrf: z.string().nullable() }),
    },
  ],
  async handler({ actor, deps }) {
    const session = actor!.session ? ((await deps.auth.sessions()).find((entry) => entry.id === actor!.tokenId) ?? null) : null;
    return { name: actor!.name, scope: actor!.scope, session, csrf: session ? deps.auth.csrfFor(session.id) : null };
  },
});

const logout = route({
  method: "DELETE",
  path: "/session",
  scope: "read",
  tag: "sessions",
  summary: "Log out: ends this session and clears its cookie.",
  status: 204,
  responses: [{ status: 204, description: "Logged out." }, { status: 400, description: "The request was made with an API token, not a session." }],
  async handler({ actor, deps, reply, request }) {
    if (!actor!.session) throw new ApiError("bad_request", "this request carries an API token, not a session: revoke a token with DELETE /tokens/{id}");
    await deps.auth.revoke(actor!.tokenId!, actor);
    reply.header("set-cookie", sessionCookie("", 0, secure(request)));
  },
});

const list = route({
  method: "GET",
  path: "/sessions",
  scope: "admin",
  tag: "sessions",
  summary: "Browser sessions that still work, newest first.",
  responses: [{ status: 200, description: "The sessions.", schema: z.object({ sessions: z.array(sessionInfo) }) }],
  async handler({ deps }) {
    return { sessions: await deps.auth.sessions() };
  },
});

const revoke = route({
  method: "DELETE",
  path: "/sessions/{id}",
  scope: "admin",
  tag: "sessions",
  summary: "End a session; its browser is logged out at its next request.",
  params: z.strictObject({ id: tokenId }),
  status: 204,
  responses: [{ status: 204, description: "Ended." }, { status: 404, description: "No such session, or it has ended." }],
  async handler({ actor, params, deps }) {
    if ((await deps.auth.kindOf(params.id)) !== "session" || !(await deps.auth.revoke(params.id, actor))) {
      throw new ApiError("not_found", `no session ${params.id} that is still going`);
    }
  },
});

export const sessionRoutes = [loginLink, login, current, logout, list, revoke];
