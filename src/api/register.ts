/**
 * Turns the route table into Fastify routes: authentication before the body
 * is read, validation of every request part with the route's zod schemas,
 * and the handler's answer with the route's success status.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { Actor, Scope } from "../engine/service.js";
import { scopeAllows, type TokenAuthority } from "./auth.js";
import { ApiError, describeIssues, validationError } from "./errors.js";
import { lingerAfterRefusal } from "./linger.js";
import { CSRF_HEADER, sessionCookieOf } from "./session-cookie.js";
import { pathPattern, type AnyRoute, type ApiDeps, type RouteContext } from "./route.js";

export const API_PREFIX = "/api/v1";
/** JWTs of Spire are a few hundred bytes; a longer header is not worth verifying. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * Where a request's actor is kept: a property every Fastify request is made
 * with (decorateRequest), so requests keep one shape; a WeakMap entry per
 * request cost each request an ephemeron for the scavenger.
 */
const ACTOR = "spireActor";
type RequestWithActor = FastifyRequest & { [ACTOR]: Actor | null };

/** `{x}` → `:x`; a `{task}` path runs to the end of the URL and is split by the route itself. */
function routerPath(path: string): string {
  return API_PREFIX + path.replace(/\{task\}.*$/, "*").replace(/\{([a-z_]+)\}/g, ":$1");
}

export function registerRoutes(app: FastifyInstance, routes: readonly AnyRoute[], deps: ApiDeps): void {
  // Before any route: authenticate (here and in mcp-route.ts) sets it.
  app.decorateRequest(ACTOR, null);
  for (const route of routes) {
    app.route({
      method: route.method,
      url: routerPath(route.path),
      onRequest: route.scope === "open" ? undefined : (request, _reply, done) => authenticate(deps.auth, request, route.scope as Scope, done),
      handler: (request, reply) => answer(route, deps, request, reply),
    });
  }
}

/** Methods that change nothing: a session cookie needs no CSRF token for them. */
const SAFE_METHODS = new Set(["GET", "HEAD"]);

/** A callback hook: a token already known is settled in the same turn, without a promise. */
export function authenticate(auth: TokenAuthority, request: FastifyRequest, scope: Scope, done: (error?: Error) => void): void {
  const header = request.headers.authorization;
  if (!header) {
    const session = sessionCookieOf(request.headers.cookie);
    if (session !== undefined) return authenticateSession(auth, request, session, scope, done);
    return done(new ApiError("unauthorized", "no token: send `Authorization: Bearer <token>` (make one with `spire token create`), or log in to the web UI (spire ui)"));
  }
  // Nearly every request: "Bearer " and a token verified before (such a token has no spaces and is not too long).
  const usual = auth.verifyKnownBearer(header);
  if (usual) return done(admit(request, usual.actor, scope));
  const match = /^Bearer +(\S+)$/i.exec(header);
  if (!match || match[1]!.length > MAX_TOKEN_LENGTH) return done(new ApiError("unauthorized", "the Authorization header is not `Bearer <token>`"));
  const known = auth.verifyKnown(match[1]!);
  if (known) return done(admit(request, known.actor, scope));
  auth.verify(match[1]!).then((actor) => done(admit(request, actor, scope)), done);
}

/** The web UI's cookie: only a session's token counts, and a change must come from the UI's own page (Origin) with the CSRF token. */
function authenticateSession(auth: TokenAuthority, request: FastifyRequest, jwt: string, scope: Scope, done: (error?: Error) => void): void {
  if (jwt.length > MAX_TOKEN_LENGTH) return done(new ApiError("unauthorized", "the session cookie is not valid: log in again (spire ui)"));
  const settle = (actor: Actor | undefined) => done(admitSession(auth, request, actor, scope));
  const known = auth.verifyKnown(jwt);
  if (known) return settle(known.actor);
  auth.verify(jwt).then(settle, done);
}

function admitSession(auth: TokenAuthority, request: FastifyRequest, actor: Actor | undefined, scope: Scope): ApiError | undefined {
  if (!actor?.session) return new ApiError("unauthorized", "the session has ended or is not valid: log in again (spire ui)");
  if (!SAFE_METHODS.has(request.method)) {
    // The server's onRequest hook has refused a foreign Origin already; here a change must name one at all.
    if (request.headers.origin === undefined) return new ApiError("forbidden", "a change made with the session cookie must come from the web UI's page: the Origin header is missing");
    const csrf = request.headers[CSRF_HEADER];
    if (typeof csrf !== "string" || !auth.verifyCsrf(actor.tokenId!, csrf)) {
      return new ApiError("forbidden", `the ${CSRF_HEADER} header is missing or does not belong to this session: reload the page`);
    }
  }
  return admit(request, actor, scope);
}

function admit(request: FastifyRequest, actor: Actor | undefined, scope: Scope): ApiError | undefined {
  if (!actor) return new ApiError("unauthorized", "the token is not valid: it is malformed, expired or revoked, or was made by another engine");
  if (!scopeAllows(actor.scope, scope)) return scopeRefusal(actor, scope);
  (request as RequestWithActor)[ACTOR] = actor;
  return undefined;
}

function scopeRefusal(actor: Actor, needed: Scope): ApiError {
  const hint = { hint: `make a token with that scope: spire token create --scope ${needed}` };
  if (actor.scope === "worker") {
    return new ApiError("forbidden", `this token (${actor.name}) has the worker scope, which only lets a worker run tasks; this needs a token with the ${needed} scope`, hint);
  }
  return new ApiError("forbidden", `this needs a token with the ${needed} scope; this one (${actor.name}) has ${actor.scope}`, hint);
}

export function actorOf(request: FastifyRequest): Actor | undefined {
  return (request as RequestWithActor)[ACTOR] ?? undefined;
}

/**
 * Fastify's handler: the handler's promise, or undefined when the answer was
 * at hand and has been sent in this turn (a promise, a microtask and the
 * validation less: GET /runs/{id} of a cached run).
 */
function answer(route: AnyRoute, deps: ApiDeps, request: FastifyRequest, reply: FastifyReply): Promise<unknown> | undefined {
  const atHand = route.answerAtHand?.(request.params as Record<string, string>, deps);
  if (atHand === undefined) return route.handler(validate(route, deps, request, reply)).then((value) => settle(route, request, reply, value));
  reply.type(atHand.type);
  const payload = settle(route, request, reply, atHand.body);
  if (payload !== reply) reply.send(payload);
  return undefined;
}

/** What Fastify is to send for the handler's result: `reply` when it has been sent (or hijacked) already. */
function settle(route: AnyRoute, request: FastifyRequest, reply: FastifyReply, result: unknown): unknown {
  if (result === reply || reply.sent) return reply;
  if (reply.statusCode === 200 && route.status) reply.code(route.status);
  else if (reply.statusCode >= 400) lingerAfterRefusal(request, reply);
  if (result === undefined) return reply.send();
  return result;
}

function validate(route: AnyRoute, deps: ApiDeps, request: FastifyRequest, reply: FastifyReply): RouteContext<unknown, unknown, unknown> {
  const problems: string[] = [];
  const parse = (location: string, schema: z.ZodType | undefined, value: unknown) => {
    if (!schema) return value;
    // Without options first: zod's `reportInput` makes even a passing parse ~15× slower
    // (measured: 7.8 against 0.5 µs for one run id). The messages need it, so a failing
    // value is parsed again with it; parsing is pure, so the issues are the same.
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const reported = schema.safeParse(value, { reportInput: true });
    problems.push(...describeIssues(location, reported.success ? result.error.issues : reported.error.issues, value));
    return undefined;
  };
  const params = parse("path", route.params, route.rawParams ? route.rawParams(request) : request.params);
  const query = parse("query", route.query, request.query ?? {});
  const headers = parse("header", route.headers, request.headers) as Record<string, unknown>;
  let body: unknown;
  let text: string | undefined;
  // A text body (YAML to /apply): a JSON string sent as application/json is a JSON body of the wrong type, not text.
  if (typeof request.body === "string" && !/^application\/json\b/i.test(request.headers["content-type"] ?? "")) {
    if (!route.textBody) throw new ApiError("unsupported_media_type", "this route takes a JSON body: send Content-Type: application/json");
    text = request.body;
  } else if (route.body) {
    body = parse("body", route.body, request.body === undefined ? {} : request.body);
  }
  if (problems.length > 0) throw validationError(problems);
  return { actor: actorOf(request), params, query, body, headers: headers ?? {}, text, request, reply, deps };
}

/** The methods that exist for a path (for 405 and its Allow header). */
export function methodsFor(routes: readonly AnyRoute[], path: string): string[] {
  if (!path.startsWith(API_PREFIX)) return [];
  const rest = path.slice(API_PREFIX.length);
  return [...new Set(routes.filter((route) => pathPattern(route.path).test(rest)).map((route) => route.method))];
}
