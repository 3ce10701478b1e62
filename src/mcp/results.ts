/**
 * What a tool answers: JSON or text for the assistant to read, or a tool
 * error (isError) with the engine's own message and what to do, never a
 * stack trace. Errors the engine did not describe say only that the engine's
 * log has the details.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { cliErrorOf } from "../cli/errors.js";

export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value, null, 2) }] };
}

export function textResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }] };
}

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** Where an error nobody described is told in full: stderr for `spire mcp`, the engine's log for /mcp. */
export type UnexpectedErrorLog = (error: unknown) => void;

/**
 * A refusal as words an assistant can act on: the message, its details, and
 * the hint. Anything else is a fault of ours: logged, and said without its
 * message (which may name the engine's internals).
 */
export function describeFailure(error: unknown, log: UnexpectedErrorLog): string {
  const known = cliErrorOf(error);
  if (known) return known.hint ? `${known.message}\n${known.hint}` : known.message;
  log(error);
  return "internal error: the log of the Spire MCP server (spire mcp's stderr, or the engine's log for /mcp) has the details";
}

/** Runs a tool's work; whatever it throws becomes a tool error. */
export function answerer(log: UnexpectedErrorLog): (work: () => Promise<CallToolResult>) => Promise<CallToolResult> {
  return async (work) => {
    try {
      return await work();
    } catch (error) {
      return errorResult(describeFailure(error, log));
    }
  };
}
