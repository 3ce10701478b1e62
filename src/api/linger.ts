/**
 * An error answered before the request's body has arrived (401 before the
 * body is read, 413 for a body over the limit) must reach a client that is
 * still sending. Closing the socket then makes the kernel answer the bytes
 * still coming with a reset, and a reset discards what the client had not
 * yet read: the client sees "connection reset" instead of the status.
 *
 * So the rest of the body is read and dropped, the connection is kept open
 * until it has arrived, and only a client still sending after LINGER_MS is
 * cut off (nginx's lingering close, with a bound on how long it lingers).
 */
import type { IncomingMessage } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";

/** How long a refused request may go on sending its body. */
export const LINGER_MS = 10_000;

/**
 * Called while an error answer is being sent. `keepOpen` takes out a
 * `connection: close` that would make Node close the socket right after
 * the answer (Fastify asks for one when it stops reading a body).
 */
export function lingerForBody(request: IncomingMessage, keepOpen: () => void): void {
  if (request.complete) return;
  keepOpen();
  request.resume(); // flowing with no reader: what arrives is dropped
  const timer = setTimeout(() => {
    if (!request.complete) request.socket.destroy();
  }, LINGER_MS);
  timer.unref();
  const done = () => clearTimeout(timer);
  request.once("end", done);
  request.once("close", done);
}

/**
 * For every answer of 400 and above, before it is sent: sendError (every
 * refusal and error), the routes' answers with such a status (register.ts)
 * and the UI's (server.ts). Fastify's connection: close is taken out here.
 */
export function lingerAfterRefusal(request: FastifyRequest, reply: FastifyReply): void {
  lingerForBody(request.raw, () => reply.removeHeader("connection"));
}
