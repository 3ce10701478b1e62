/**
 * `spire engine --prunner ADDRESS`: prunner's HTTP API at that address's
 * root, so prunner-ui and Flowpack.Prunner drive Spire unchanged. Every
 * route asks for prunner's JWT (see auth.ts); the token's `sub` is the user
 * runs are started and canceled as (the audit and the job's `user`). The
 * request log names method, route and status, never a token or a body.
 */
import type { AddressInfo } from "node:net";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Actor, EngineService } from "../../engine/service.js";
import { BODY_LIMIT } from "../server.js";
import { verifyPrunnerToken } from "./auth.js";
import { PrunnerRoutes, type Answer } from "./routes.js";

export interface PrunnerServer {
  url: string;
  close(): Promise<void>;
}

declare module "fastify" {
  interface FastifyRequest {
    prunnerActor?: Actor;
  }
}

/** Who runs are started as when the token has no `sub`. */
const NO_SUBJECT = "prunner";

export async function startPrunnerServer(options: { service: EngineService; key: Uint8Array; host: string; port: number; logger: Logger }): Promise<PrunnerServer> {
  const logger = options.logger.child({ component: "prunner-api" });
  const routes = new PrunnerRoutes(options.service);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: false,
    // prunner answers /pipelines and /pipelines/ alike.
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: (problem, _request, reply) => void send(reply, { status: 400, body: { error: problem.message } }),
  });
  // prunner reads the body as JSON whatever the Content-Type (Flowpack.Prunner sends none).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, text, done) => done(null, text));
  app.addHook("onRequest", async (request, reply) => {
    const auth = await verifyPrunnerToken(request.headers.authorization, options.key);
    // jwtauth's refusal: the reason as plain text.
    if (!auth.ok) return reply.code(401).type("text/plain; charset=utf-8").header("x-content-type-options", "nosniff").send(`${auth.message}\n`);
    request.prunnerActor = { name: auth.sub ?? NO_SUBJECT, scope: "run" };
  });
  app.addHook("onResponse", async (request, reply) => {
    const entry = { method: request.method, route: request.routeOptions?.url ?? "(none)", status: reply.statusCode, actor: request.prunnerActor?.name };
    if (reply.statusCode >= 400) logger.info(entry, "prunner api request");
  });
  app.setErrorHandler((problem, request, reply) => {
    // The framework's refusals of a request (a body too large, say) are the client's: said as such.
    const status = (problem as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return send(reply, { status, body: { error: (problem as Error).message } });
    logger.error({ err: problem, method: request.method, route: request.routeOptions?.url }, "prunner api: unexpected error");
    return send(reply, { status: 500, body: { error: "Internal error: the engine's log has the details" } });
  });
  // As Go's router answers an unknown path.
  app.setNotFoundHandler((_request, reply) => reply.code(404).type("text/plain; charset=utf-8").send("404 page not found\n"));

  const query = (request: FastifyRequest) => request.query as Record<string, string | undefined>;
  const actor = (request: FastifyRequest) => request.prunnerActor!;
  app.get("/pipelines", async (_request, reply) => send(reply, await routes.pipelines()));
  app.get("/pipelines/jobs", async (_request, reply) => send(reply, await routes.pipelinesJobs()));
  app.post("/pipelines/schedule", async (request, reply) => {
    const body = parseBody(request.body);
    return send(reply, "error" in body ? { status: 400, body: { error: body.error } } : await routes.schedule(actor(request), body.value));
  });
  app.get("/job/detail", async (request, reply) => send(reply, await routes.detail(query(request)["id"])));
  app.get("/job/logs", async (request, reply) => send(reply, await routes.logs(query(request)["id"], query(request)["task"])));
  app.post("/job/cancel", async (request, reply) => send(reply, await routes.cancel(actor(request), query(request)["id"])));

  await app.listen({ host: options.host, port: options.port });
  const { port } = app.server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}

/** The JSON body, or prunner's decoding error. `__proto__` keys are refused, as by the main API. */
function parseBody(text: unknown): { value: unknown } | { error: string } {
  if (typeof text !== "string" || text.trim() === "") return { error: "Error decoding JSON: EOF" };
  try {
    return {
      value: JSON.parse(text, (key, value: unknown) => {
        if (key === "__proto__") throw new Error("the key __proto__ is not allowed");
        return value;
      }),
    };
  } catch (problem) {
    return { error: `Error decoding JSON: ${(problem as Error).message}` };
  }
}

/** JSON with a newline after it, as Go's json.Encoder writes. */
function send(reply: FastifyReply, answer: Answer): FastifyReply {
  return reply.code(answer.status).type("application/json").send(`${JSON.stringify(answer.body)}\n`);
}
