/**
 * Requests whose params have the wrong shape (tools/call with `arguments`
 * a list, a tool name that is not text, a resource URI that is not one)
 * are answered here, before the SDK sees them, with -32602 (invalid params)
 * and a plain message. The SDK answers them with -32603 (internal error)
 * and a dump of its schema's issues: a client mistake told as Spire's own.
 * The same for both transports (stdio and the engine's /mcp).
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";

const INVALID_PARAMS = -32602;

/** Call after the server has connected the transport (it sets onmessage then). */
export function checkParamsFirst(transport: Transport): void {
  const dispatch = transport.onmessage;
  if (dispatch === undefined) return;
  transport.onmessage = (message, extra) => {
    const problem = paramsProblem(message);
    if (problem === undefined || !("id" in message)) return dispatch(message, extra);
    void transport.send({ jsonrpc: "2.0", id: message.id, error: { code: INVALID_PARAMS, message: `invalid params: ${problem}` } });
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Methods that cannot go without params. */
const NEED_PARAMS = new Set(["tools/call", "resources/read", "prompts/get"]);

function paramsProblem(message: unknown): string | undefined {
  if (!isRecord(message) || typeof message.method !== "string") return undefined;
  const { params } = message;
  if (params === undefined) return NEED_PARAMS.has(message.method) ? `${message.method} needs params` : undefined;
  if (!isRecord(params)) return "params must be an object";
  if (message.method.endsWith("/list") && params.cursor !== undefined && typeof params.cursor !== "string") return "params.cursor must be the nextCursor of an earlier page (a string)";
  switch (message.method) {
    case "tools/call":
      if (typeof params.name !== "string") return "params.name must be the name of a tool (tools/list lists them)";
      if (params.arguments !== undefined && !isRecord(params.arguments)) return 'params.arguments must be an object of the tool\'s arguments by name, such as {"pipeline": "home/backup"}';
      return undefined;
    case "resources/read":
      return typeof params.uri === "string" && URL.canParse(params.uri) ? undefined : "params.uri must be a resource's URI (resources/list and resources/templates/list say which there are)";
    case "prompts/get":
      if (typeof params.name !== "string") return "params.name must be the name of a prompt";
      return params.arguments !== undefined && !isRecord(params.arguments) ? "params.arguments must be an object of the prompt's arguments by name" : undefined;
    default:
      return undefined;
  }
}
