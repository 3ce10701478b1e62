/**
 * The engine's MCP endpoint (`/mcp`, Streamable HTTP, stateless): the same
 * tools as `spire mcp`, for an assistant that reaches the engine over HTTP.
 * It takes a bearer token like every API route, and each tool call is sent
 * into the engine's own API routes with that token, so a call may do just
 * what the token's scope lets the API do, refused with the API's message.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HttpClient } from "../client/http.js";
import { ApiError } from "./errors.js";
import { SECURITY_HEADERS } from "./guard.js";
import { authenticate } from "./register.js";
import type { ApiDeps } from "./route.js";

export const MCP_PATH = "/mcp";
/** The base URL of the in-process client: its requests never leave the process, only the path counts. */
const IN_PROCESS_URL = "http://in-process";

export function registerMcpRoute(app: FastifyInstance, deps: ApiDeps): void {
  // Any token of the read scope or more may talk MCP; each tool then needs the scope of the route it calls.
  const onRequest = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    if (!request.headers.authorization) return done(new ApiError("unauthorized", "no token: send `Authorization: Bearer <token>` (make one with `spire token create`)"));
    authenticate(deps.auth, request, "read", done);
  };
  app.route({ method: "POST", url: MCP_PATH, onRequest, handler: (request, reply) => serve(app, deps, request, reply) });
  // Stateless: no stream to open with GET and no session to end with DELETE.
  app.route({
    method: ["GET", "DELETE"],
    url: MCP_PATH,
    onRequest,
    handler: async (_request, reply) => {
      reply.header("allow", "POST");
      throw new ApiError("method_not_allowed", "this MCP endpoint is stateless: send each JSON-RPC message with POST");
    },
  });
}

async function serve(app: FastifyInstance, deps: ApiDeps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // Loaded at the first MCP request: an engine nobody asks over MCP does not hold the SDK in memory.
  const [{ StreamableHTTPServerTransport }, { createSpireMcpServer }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/streamableHttp.js"),
    import("../mcp/server.js"),
  ]);
  const token = /^Bearer +(\S+)$/i.exec(request.headers.authorization!)![1]!;
  const client = new HttpClient({ url: IN_PROCESS_URL, token, fetch: injectingFetch(app, request.headers.host) });
  const server = createSpireMcpServer(async () => client, (error) => deps.logger.error({ err: error, reqId: request.id }, "mcp: unexpected error in a tool"));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  // The transport writes the answer itself; Fastify's onSend does not run for it, so the API's headers are set here.
  reply.hijack();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
  // A tool may wait (get_run's wait_seconds): an engine that stops gives the wait up and ends the answer, as it ends its event streams.
  const stop = () => void server.close().finally(() => reply.raw.writableEnded || reply.raw.destroy());
  deps.streams.add(stop);
  reply.raw.on("close", () => {
    deps.streams.delete(stop);
    void server.close();
  });
  try {
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  } catch (error) {
    deps.logger.error({ err: error, reqId: request.id }, "mcp: unexpected error");
    if (!reply.raw.headersSent) {
      reply.raw.writeHead(500, { "content-type": "application/json; charset=utf-8" });
      reply.raw.end(JSON.stringify(new ApiError("internal", "internal error: the engine's log has the details").body()));
    }
  }
}

/** A fetch that answers from the engine's own routes (Fastify's inject): the API's authentication, validation and errors, without a socket. */
function injectingFetch(app: FastifyInstance, host: string | undefined): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = { ...(init.headers as Record<string, string> | undefined), ...(host !== undefined ? { host } : {}) };
    const answer = await app.inject({
      method: (init.method ?? "GET") as "GET" | "POST" | "DELETE",
      url: url.pathname + url.search,
      headers,
      ...(typeof init.body === "string" ? { payload: init.body } : {}),
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : String(value));
    }
    const empty = answer.statusCode === 204 || answer.statusCode === 304;
    return new Response(empty ? null : answer.rawPayload, { status: answer.statusCode, headers: responseHeaders });
  };
}
