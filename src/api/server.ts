/**
 * The HTTP API of SPEC §5 on Fastify: the route table under /api/v1, token
 * auth, Host/Origin checks, one error shape, and no secrets in the logs
 * (request logging is our own and names only method, route and status).
 */
import type { Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import Fastify, { LogController, type FastifyHttpOptions, type FastifyHttpsOptions, type FastifyServerOptions, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { EngineService } from "../engine/service.js";
import type { TokenAuthority } from "./auth.js";
import { ApiError, toApiError } from "./errors.js";
import { SECURITY_HEADERS, allowedHostSet, hostProblem } from "./guard.js";
import { lingerAfterRefusal } from "./linger.js";
import { errorPageFor } from "./error-page.js";
import { putSecurityHeaders } from "./reply-headers.js";
import { LoginLinks } from "./login-links.js";
import { StaticUi } from "./static-ui.js";
import { buildOpenApi } from "./openapi.js";
import { actorOf, methodsFor, registerRoutes } from "./register.js";
import { answerAtHandFirst } from "./answer-at-hand.js";
import { answerClientError } from "./client-errors.js";
import type { ApiDeps } from "./route.js";
import type { WorkerHub } from "../workers/hub.js";
import { ROUTES } from "./routes/index.js";
import { registerMcpRoute } from "./mcp-route.js";

export const BODY_LIMIT = 5 * 1024 * 1024;
const SECURITY_HEADERS_LIST = Object.entries(SECURITY_HEADERS);

export interface ApiServerOptions {
  service: EngineService;
  auth: TokenAuthority;
  host: string;
  port: number;
  /** More `host[:port]` names a client may use (a reverse proxy's, a LAN name). */
  allowedHosts?: string[];
  logger: Logger;
  /** Default 15 s. */
  heartbeatMs?: number;
  /** The web UI's files (default: the build's dist/ui). */
  ui?: StaticUi;
  /** The engine's workers, served by the worker routes. */
  workers?: WorkerHub;
  /** Serve https with this certificate (PEM, its chain after it) and key; plain http without. */
  tls?: { cert: string; key: string };
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const logger = options.logger.child({ component: "api" });
  let openapi: Record<string, unknown> | undefined;
  const deps: ApiDeps = {
    service: options.service,
    auth: options.auth,
    logger,
    openapi: () => (openapi ??= buildOpenApi(ROUTES)),
    heartbeatMs: options.heartbeatMs ?? 15_000,
    streams: new Set(),
    loginLinks: new LoginLinks(),
    ...(options.workers ? { workers: options.workers } : {}),
  };
  // Filled in once the port is known (port 0 picks one); no request comes before.
  let allowedHosts = new Set<string>();
  const app = createFastify(options.tls, {
    // As the base type, so the instance has Fastify's default type parameters.
    loggerInstance: logger as FastifyBaseLogger,
    // Our own request log (logRequest) names the route, never the URL's values, headers or body.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 1000 },
    frameworkErrors: (error, request, reply) => sendError(reply, request, error),
    clientErrorHandler: answerClientError,
    // Requests are checked by the routes' zod schemas (register.ts) and answers are
    // serialised by us; naming the compilers keeps Fastify from loading ajv and
    // fast-json-stringify, ~1.5 MB of an idle engine's heap for nothing.
    schemaController: { compilersFactory: { buildValidator: unusedCompiler, buildSerializer: unusedCompiler } },
  });
  keepOneLogger(app);
  installBodyParsers(app);
  // Hooks take a callback, not a promise: each async hook costs a request a promise and a turn.
  app.addHook("onRequest", (request, reply, done) => {
    // The security headers go on every answer from the start, not in an onSend hook (a hook
    // run per answer was ~4 % of a GET's CPU): a route or the UI's files that set their own
    // Content-Security-Policy or caching replace them. sendError sets them too, for the
    // framework's refusals that come before any hook (a malformed URL).
    putSecurityHeaders(reply);
    const problem = hostProblem(allowedHosts, request.headers.host, request.headers.origin);
    done(problem ? new ApiError("forbidden", problem) : undefined);
  });
  app.addHook("onResponse", (request, reply, done) => {
    logRequest(logger, request, reply);
    done();
  });
  app.addHook("preClose", async () => {
    for (const close of [...deps.streams]) close();
  });
  app.setErrorHandler((error, request, reply) => sendError(reply, request, error));
  const ui = options.ui ?? new StaticUi();
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    const page = request.method === "GET" || request.method === "HEAD" ? ui.answer(path, request.headers["accept-encoding"]) : undefined;
    if (page) {
      if (page.status >= 400) lingerAfterRefusal(request, reply);
      return reply.code(page.status).headers(page.headers).send(page.body);
    }
    const allow = methodsFor(ROUTES, path);
    if (allow.length > 0) {
      reply.header("allow", allow.join(", "));
      return sendError(reply, request, new ApiError("method_not_allowed", `${request.method} is not allowed here; use ${allow.join(" or ")}`));
    }
    return sendError(reply, request, new ApiError("not_found", `no route ${request.method} ${path}`));
  });
  registerRoutes(app, ROUTES, deps);
  registerMcpRoute(app, deps);
  const atHand = answerAtHandFirst(app.server, ROUTES, deps, () => allowedHosts, logger);
  await app.listen({ host: options.host, port: options.port });
  const port = (app.server.address() as AddressInfo).port;
  allowedHosts = allowedHostSet(options.host, port, options.allowedHosts);
  const close = () => {
    atHand.stop();
    return app.close();
  };
  return { url: `${options.tls ? "https" : "http"}://${urlHost(options.host)}:${port}`, port, close };
}

type FastifyOptions = FastifyHttpOptions<Server>;

/**
 * Fastify over http, or over https with `tls`. Fastify makes the https
 * server itself (with its own timeouts, as for http); requests and replies
 * are Node's http ones either way, so the instance is used as one type.
 */
function createFastify(tls: ApiServerOptions["tls"], options: FastifyOptions): FastifyInstance {
  if (!tls) return Fastify(options);
  const https: FastifyHttpsOptions<HttpsServer> = { ...(options as FastifyServerOptions<HttpsServer>), https: { cert: tls.cert, key: tls.key } };
  return Fastify(https) as unknown as FastifyInstance;
}

/**
 * request.log is Fastify's logger itself (the API's, with Fastify's
 * serializers), not a child per request: a pino child was ~3 % of a GET's
 * time, and the two lines that name a request (logRequest, sendError) carry
 * its id themselves. Its child() gives it back, so Fastify's own child
 * factory is used; a factory of ours would be checked at each request
 * (Fastify's validateLogger: ~2 % of a GET's instructions).
 */
function keepOneLogger(app: FastifyInstance): void {
  const logger = app.log;
  logger.child = (() => logger) as typeof logger.child;
}

/** Fastify asks for a compiler only for a route that declares a Fastify schema; none does. */
function unusedCompiler(): never {
  throw new Error("Fastify route schemas are not used: requests are checked with zod in register.ts");
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Bodies are parsed as text and JSON only. `__proto__` keys are refused, so
 * no parsed body can carry a prototype into objects built from it.
 */
function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, text, done) => {
    const unreadable = unreadableBody(request);
    if (unreadable) return done(unreadable, undefined);
    if (text === "") return done(null, undefined);
    try {
      // A byte-order mark before the JSON is allowed to be ignored (RFC 8259, 8.1): some Windows tools write one.
      const json = (text as string).charCodeAt(0) === 0xfeff ? (text as string).slice(1) : (text as string);
      done(null, JSON.parse(json, (key, value: unknown) => {
        if (key === "__proto__") throw new ApiError("bad_request", "body: the key __proto__ is not allowed", ["body: __proto__ is not allowed"]);
        return value;
      }));
    } catch (error) {
      // JSON.parse recurses: thousands of nested arrays or objects overflow its stack, which is not a syntax error.
      const refusal =
        error instanceof ApiError
          ? error
          : error instanceof RangeError
            ? new ApiError("bad_request", "body: nested too deeply to read (thousands of levels): send a flatter document", ["body: nested too deeply"])
            : new ApiError("bad_request", "body: not valid JSON", ["body: not valid JSON"]);
      done(refusal, undefined);
    }
  });
  app.addContentTypeParser(["text/yaml", "application/yaml", "text/plain"], { parseAs: "string" }, (request, text, done) => {
    const unreadable = unreadableBody(request);
    done(unreadable ?? null, unreadable ? undefined : text);
  });
}

/**
 * A body in a form the parsers above would misread: compressed (Content-Encoding), or in a charset
 * other than UTF-8. Refused with 415 rather than read as UTF-8 text and found wrong, or worse, not.
 */
function unreadableBody(request: FastifyRequest): ApiError | undefined {
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "" && encoding !== "identity") {
    return new ApiError("unsupported_media_type", `Content-Encoding ${JSON.stringify(encoding)} is not accepted: send the body uncompressed`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers["content-type"] ?? "")?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8" && charset !== "us-ascii") {
    return new ApiError("unsupported_media_type", `charset=${charset} is not accepted: send the body in UTF-8 (charset=utf-8, or none)`);
  }
  return undefined;
}

function sendError(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  for (const [name, value] of SECURITY_HEADERS_LIST) if (!reply.hasHeader(name)) reply.header(name, value);
  lingerAfterRefusal(request, reply);
  const known = toApiError(error);
  if (!known) {
    // Logged with the route pattern, never the URL's values, the headers or the body.
    request.log.error({ err: error, reqId: request.id, method: request.method, route: request.routeOptions?.url }, "api: unexpected error");
    const internal = new ApiError("internal", "internal error: the engine's log has the details");
    return reply.code(500).type("application/json; charset=utf-8").send(internal.body());
  }
  if (known.status === 401) reply.header("www-authenticate", 'Bearer realm="spire"');
  const page = errorPageFor(request, known);
  if (page !== undefined) return reply.code(known.status).type("text/html; charset=utf-8").send(page);
  return reply.code(known.status).type("application/json; charset=utf-8").send(known.body());
}

function logRequest(logger: Logger, request: FastifyRequest, reply: FastifyReply): void {
  if (reply.statusCode < 400 && !logger.isLevelEnabled("debug")) return;
  const entry = {
    reqId: request.id,
    method: request.method,
    route: request.routeOptions?.url ?? "(none)",
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime),
    actor: actorOf(request)?.name,
  };
  if (reply.statusCode >= 500) logger.warn(entry, "api request");
  else if (reply.statusCode >= 400) logger.info(entry, "api request");
  else logger.debug(entry, "api request");
}

export type { FastifyError };
