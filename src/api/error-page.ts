/**
 * A browser's request for a page that fails before any page is found (an
 * address whose `%` escapes cannot be read, typed or pasted by hand) gets a
 * page that says so, with a way back to Spire, not the API's JSON. API and
 * MCP clients, and anything that does not ask for HTML, get the JSON as ever.
 */
import type { FastifyRequest } from "fastify";
import { API_PREFIX } from "./register.js";
import type { ApiError } from "./errors.js";

export function errorPageFor(request: FastifyRequest, error: ApiError): string | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const path = request.url.split("?")[0] ?? "";
  if (path.startsWith(`${API_PREFIX}/`) || path === API_PREFIX || path.startsWith("/mcp")) return undefined;
  if (!/\btext\/html\b/.test(request.headers.accept ?? "")) return undefined;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Spire: ${escapeHtml(firstWords(error.message))}</title></head>
<body>
<h1>This address does not lead anywhere</h1>
<p>${escapeHtml(sentence(error.message))}.</p>
<p><a href="/">Go to Spire's pipelines</a></p>
</body>
</html>
`;
}

const firstWords = (message: string) => message.split(":")[0] ?? message;
const sentence = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);
}
