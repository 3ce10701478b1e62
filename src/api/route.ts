/**
 * A route is declared once: method, path, scope, the zod schemas of its
 * parameters, query, body and answers, and its handler. The server validates
 * requests with these schemas and the OpenAPI document is generated from them,
 * so the two cannot drift apart.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Actor, EngineService, Scope } from "../engine/service.js";
import type { TokenAuthority } from "./auth.js";
import type { LoginLinks } from "./login-links.js";
import type { WorkerHub } from "../workers/hub.js";

export type Method = "GET" | "POST" | "DELETE";

export interface ApiDeps {
  service: EngineService;
  auth: TokenAuthority;
  logger: Logger;
  /** The OpenAPI document (built once). */
  openapi(): Record<string, unknown>;
  /** Time between SSE heartbeat comments. */
  heartbeatMs: number;
  /** Open event streams, each with its closer: ended when the server closes. */
  streams: Set<() => void>;
  /** One-time login links of the web UI not yet used. */
  loginLinks: LoginLinks;
  /** The engine's workers (absent: an engine that takes none). */
  workers?: WorkerHub;
}

export interface RouteContext<P, Q, B> {
  /** Undefined only on open routes. */
  actor: Actor | undefined;
  params: P;
  query: Q;
  body: B;
  headers: Record<string, unknown>;
  /** The body when it came as text (routes with `textBody` only). */
  text: string | undefined;
  request: FastifyRequest;
  reply: FastifyReply;
  deps: ApiDeps;
}

export interface ResponseDef {
  status: number;
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
  /** Response headers the answer may carry, by name, with what each says. */
  headers?: Record<string, string>;
}

type Schema = z.ZodType;

export interface RouteDef<P extends Schema, Q extends Schema, B extends Schema> {
  method: Method;
  /** OpenAPI-style path under /api/v1, such as `/pipelines/{ns}/{name}`. */
  path: string;
  scope: Scope | "open";
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  /** Request headers the route reads (names in lower case). */
  headers?: z.ZodObject;
  /** The JSON body's schema. */
  body?: B;
  /** Also accept the body as text (text/yaml, application/yaml, text/plain): the handler gets it in `text`. */
  textBody?: boolean;
  /** Where the path parameters come from, when the router cannot split them (task paths contain `/`). */
  rawParams?(request: FastifyRequest): unknown;
  /** The success status (default 200). */
  status?: number;
  responses: ResponseDef[];
  handler(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
  /**
   * The answer from the raw path parameters when this engine has it at hand,
   * else undefined: then the request is validated and the handler runs. Only
   * for answers no invalid request can have (a cached run object is found by
   * a valid run id only); sent in the same turn, with no promise, and for a
   * GET with a known bearer token before Fastify sees the request
   * (answer-at-hand.ts).
   */
  answerAtHand?(params: Record<string, string>, deps: ApiDeps): AnswerAtHand | undefined;
}

/** An answer at hand: its content type and its text, sent with the success status (200). */
export interface AnswerAtHand {
  type: string;
  body: Buffer;
}

export type AnyRoute = RouteDef<Schema, Schema, Schema>;

/** Identity with inference: each route file lists its routes through this. */
export function route<P extends Schema = z.ZodUndefined, Q extends Schema = z.ZodUndefined, B extends Schema = z.ZodUndefined>(
  def: RouteDef<P, Q, B>,
): AnyRoute {
  return def as unknown as AnyRoute;
}

/** `/pipelines/{ns}/{name}` → a regex matching concrete paths (a parameter is one segment, `{task}` any rest). */
export function pathPattern(path: string): RegExp {
  const source = path
    .split(/(\{[a-z_]+\})/)
    .map((part) => (part === "{task}" ? ".+" : part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}
