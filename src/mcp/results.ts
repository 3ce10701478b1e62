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

/** A refusal as words an assistant can act on: the message, its details, and the hint. */
export function describeFailure(error: unknown): string {
  const known = cliErrorOf(error);
  if (known) return known.hint ? `${known.message}\n${known.hint}` : known.message;
  return `internal error (${error instanceof Error ? error.name : typeof error}): the engine's or this server's log has the details`;
}

/** Runs a tool's work; whatever it throws becomes a tool error. */
export async function answer(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    return errorResult(describeFailure(error));
  }
}
