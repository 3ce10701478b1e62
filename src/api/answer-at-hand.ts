/**
 * Answers at hand, sent before Fastify sees the request: a GET of a route
 * with `answerAtHand` (a cached run object, GET /runs/{id}), from a client
 * with a bearer token this engine knows, is answered from node's request
 * listener, with the bytes and headers Fastify would send. A poller asks
 * for the same run over and over, and Fastify's own work per request
 * (request and reply objects, routing, hooks, reply.send) was a fifth of
 * such a request's CPU and most of the gap to a bare node:http server
 * (bench/api, issue 18).
 *
 * Only the plainest requests take this lane, and only when each check
 * passes exactly as it would in Fastify's hooks (the Host and Origin, the
 * token and its scope, the path parameter, the answer at hand); anything
 * else, and every refusal, goes to Fastify untouched: its answers, errors and
 * logs stay the only ones. Nothing is answered here while the server closes
 * (Fastify answers 503 then) or when the API logs at debug level (where each
 * answer is logged with its Fastify request id).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { scopeAllows } from "./auth.js";
import { hostProblem, securityHeaders } from "./guard.js";
import { API_PREFIX } from "./register.js";
import type { AnyRoute, AnswerAtHand, ApiDeps } from "./route.js";

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

/** A route whose path ends in its one parameter: `/runs/{id}` is `/api/v1/runs/` and `id`. */
interface Lane {
  prefix: string;
  param: string;
  route: AnyRoute;
  /** The headers of the last answer sent, and its bytes: a poller gets the same answer over and over (see headersFor). */
  last: { body: Buffer; type: string; headers: Readonly<Record<string, string>> } | undefined;
}

/**
 * A path parameter taken here: letters, digits, `_` and `-` only, so it is the
 * same string the router would give (nothing to decode, no `/`, `?`, `;`).
 */
const PLAIN_SEGMENT = /^[0-9A-Za-z_-]+$/;

export interface AnswersAtHand {
  /** From now on every request goes to Fastify (called when the server starts closing). */
  stop(): void;
}

/**
 * Puts the lane in front of Fastify's request listener (the one the server
 * was made with). `allowedHosts` is read at each request: it is known once
 * the server listens. Without exactly one request listener nothing changes.
 */
export function answerAtHandFirst(server: Server, routes: readonly AnyRoute[], deps: ApiDeps, allowedHosts: () => Set<string>, logger: Logger): AnswersAtHand {
  const lanes = routes.flatMap((route) => laneOf(route, routes));
  const listeners = server.listeners("request") as Listener[];
  if (lanes.length === 0 || listeners.length !== 1) return { stop() {} };
  const fastify = listeners[0]!;
  let open = true;
  server.removeListener("request", fastify);
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const lane = open && request.method === "GET" && !logger.isLevelEnabled("debug") ? laneFor(request.url!, lanes) : undefined;
    const answer = lane && answerOf(request, lane, deps, allowedHosts());
    if (answer === undefined) return fastify(request, response);
    response.writeHead(200, headersFor(lane!, answer));
    response.end(answer.body);
  });
  return {
    stop() {
      open = false;
    },
  };
}

/**
 * The route's lane, if it has one: a GET with an answer at hand, behind
 * auth, whose path ends in its one parameter, and with no GET route of a
 * fixed name in that parameter's place (the router would prefer that one).
 */
function laneOf(route: AnyRoute, routes: readonly AnyRoute[]): Lane[] {
  const parts = /^(\/[^{}]*\/)\{([a-z_]+)\}$/.exec(route.path);
  if (route.method !== "GET" || !route.answerAtHand || !parts || route.scope === "open") return [];
  const fixedSibling = routes.some((other) => other.method === "GET" && other.path.startsWith(parts[1]!) && /^[^{}/]+$/.test(other.path.slice(parts[1]!.length)));
  return fixedSibling ? [] : [{ prefix: API_PREFIX + parts[1]!, param: parts[2]!, route, last: undefined }];
}

/** The lane whose prefix the URL has (a loop: a closure for find() was made at each request). */
function laneFor(url: string, lanes: readonly Lane[]): Lane | undefined {
  for (let index = 0; index < lanes.length; index++) if (url.startsWith(lanes[index]!.prefix)) return lanes[index];
  return undefined;
}

/**
 * As Fastify writes a reply: the security headers (set when the request
 * comes in), the type, the length. node's writeHead only reads the object,
 * so the same one serves every answer of the same bytes, as the bare
 * server of bench/api does with its one answer: no object, no transitions,
 * no length string per request. The last answer's bytes stay referenced
 * here until another answer replaces them: one run object's at most.
 */
function headersFor(lane: Lane, answer: AnswerAtHand): Readonly<Record<string, string>> {
  const last = lane.last;
  if (last !== undefined && last.body === answer.body && last.type === answer.type) return last.headers;
  const headers = securityHeaders();
  headers["content-type"] = answer.type;
  headers["content-length"] = String(answer.body.length);
  lane.last = { body: answer.body, type: answer.type, headers: Object.freeze(headers) };
  return headers;
}

/** The answer when every check passes as in Fastify's hooks and the route has it at hand; else undefined. */
function answerOf(request: IncomingMessage, lane: Lane, deps: ApiDeps, allowedHosts: Set<string>): AnswerAtHand | undefined {
  const url = request.url!;
  const value = url.slice(lane.prefix.length);
  if (!PLAIN_SEGMENT.test(value)) return undefined;
  const { headers } = request;
  // The server's onRequest hook, then the route's (authenticate): the same checks in the same order.
  if (hostProblem(allowedHosts, headers.host, headers.origin) !== undefined) return undefined;
  const authorization = headers.authorization;
  const actor = authorization === undefined ? undefined : deps.auth.verifyKnownBearer(authorization)?.actor;
  if (actor === undefined || !scopeAllows(actor.scope, lane.route.scope as Exclude<AnyRoute["scope"], "open">)) return undefined;
  // Not `{ [lane.param]: value }`: a computed key in a literal is a call into V8's runtime at each request.
  const params: Record<string, string> = {};
  params[lane.param] = value;
  return lane.route.answerAtHand!(params, deps);
}
