/**
 * Requests Node's HTTP parser refuses before Fastify sees them: headers
 * over Node's limit (a URL of 100 KB is one), a malformed request line, a
 * bad chunk. They are answered in the API's error shape, with the security
 * headers, and the connection is closed (the parser cannot go on with it).
 * Fastify's own answer was `{"error":"Bad Request","message":"Client Error"}`.
 */
import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { ApiError } from "./errors.js";
import { SECURITY_HEADERS } from "./guard.js";

export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // Gone already, or the client hung up: nobody to answer.
  if (!socket.writable || error.code === "ECONNRESET") return void socket.destroy();
  const refusal =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new ApiError("headers_too_large", `the request's headers (the URL among them) are larger than the engine takes (${Math.round(maxHeaderSize / 1024)} KB): send a shorter URL, or the values in a body`)
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? new ApiError("request_timeout", "the request did not arrive in time: send it whole, without pauses")
        : new ApiError("bad_request", "the request could not be read as HTTP/1.1 (a malformed request line, header or chunk)");
  const body = JSON.stringify(refusal.body());
  const headers = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ""}`,
    "content-type: application/json; charset=utf-8",
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
    ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${headers.join("\r\n")}\r\n\r\n${body}`);
}
