/**
 * `spire mcp`: Spire's MCP server on stdin/stdout, for an assistant that
 * starts it as a child process. Every tool call goes to the engine over its
 * HTTP API with the caller's token (SPIRE_TOKEN, or the local admin token for
 * the local engine), found afresh each time: an engine started or restarted
 * after the assistant is seen on the next call.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { HttpClient } from "../../client/http.js";
import { createSpireMcpServer } from "../../mcp/server.js";
import { findEngine, type Target } from "../connect.js";
import { CliError, EXIT } from "../errors.js";

const NO_ENGINE = new CliError(
  "no engine is running for Spire's data folder, and none is named",
  EXIT.unreachable,
  "Start one (spire engine, or spire service install), or point SPIRE_ENGINE at one that runs, with SPIRE_TOKEN.",
);

/** As the CLI says an internal error: its message, and its stack with SPIRE_DEBUG set. */
function logUnexpected(error: unknown): void {
  const detail = error instanceof Error ? (process.env.SPIRE_DEBUG && error.stack ? error.stack : error.message) : String(error);
  process.stderr.write(`spire mcp: internal error: ${detail}\n${process.env.SPIRE_DEBUG ? "" : "(set SPIRE_DEBUG=1 for details, and please report it)\n"}`);
}

export async function mcpCommand(target: Target): Promise<void> {
  const clients = async () => {
    const engine = await findEngine(target);
    if (!engine) throw NO_ENGINE;
    return new HttpClient(engine);
  };
  // stdout carries the protocol; a word to the assistant's server log goes to stderr.
  if (!(await findEngine(target))) process.stderr.write(`spire mcp: ${NO_ENGINE.message} yet; tools will fail until one is. ${NO_ENGINE.hint}\n`);
  const server = createSpireMcpServer(clients, logUnexpected);
  const ended = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
  });
  await server.connect(new StdioServerTransport());
  await ended;
  await server.close();
}
