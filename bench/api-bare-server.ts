/**
 * The reference server of bench/api: bare `node:http`, one fixed answer. It
 * serves the bytes and headers the engine gave for one `GET /runs/{id}`, at
 * the same path, with no routing, auth or storage, and 404 for anything else.
 * Prints `port N` on stdout once it listens.
 *
 *   node dist/bench/api-bare-server.js ANSWER.json   ({ path, headers, body (base64) })
 */
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const answer = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as { path: string; headers: Record<string, string>; body: string };
const body = Buffer.from(answer.body, "base64");
const headers = { ...answer.headers, "content-length": String(body.length) };

const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === answer.path) {
    response.writeHead(200, headers);
    response.end(body);
  } else {
    response.writeHead(404, { "content-type": "application/json; charset=utf-8" });
    response.end('{"error":{"code":"not_found","message":"no route","details":[]}}');
  }
});
// The same keep-alive timeout as Fastify's default, so connections behave alike.
server.keepAliveTimeout = 72_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`port ${typeof address === "object" && address ? address.port : 0}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
