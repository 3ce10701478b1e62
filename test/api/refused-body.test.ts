/**
 * A client still sending a body when the engine refuses it (413 over the
 * limit, 401 before the body is read) must get to read the refusal: the
 * engine reads and drops the rest instead of closing on it, which would
 * answer the client's next bytes with a reset.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { BODY_LIMIT } from "../../src/api/server.js";
import { startApi } from "./harness.js";

checkNoLeftoverProcesses();

interface Upload {
  /** Bytes of the body the socket took before it failed (all of them when it did not). */
  written: number;
  writeError: string | undefined;
  answer: string;
}

/** Sends `size` bytes of body in 64 KiB pieces, each after the last was taken, reading the answer meanwhile. */
function slowUpload(port: number, path: string, size: number, headers: Record<string, string>): Promise<Upload> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    let written = 0;
    let writeError: string | undefined;
    const piece = Buffer.alloc(64 * 1024, "a");
    const finish = () => {
      socket.destroy();
      resolve({ written, writeError, answer });
    };
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      answer += chunk;
      // The whole answer: headers and a body of content-length bytes, once every byte was sent.
      if (written === size && complete(answer)) finish();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      writeError ??= error.code ?? error.message;
      finish();
    });
    socket.on("close", finish);
    const head = Object.entries({ host: `127.0.0.1:${port}`, "content-type": "application/json", "content-length": String(size), ...headers });
    socket.write(`POST /api/v1${path} HTTP/1.1\r\n${head.map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`);
    const next = () => {
      if (written >= size || socket.destroyed) return;
      const part = piece.subarray(0, Math.min(piece.length, size - written));
      socket.write(part, (error) => {
        if (error) return void (writeError ??= (error as NodeJS.ErrnoException).code);
        written += part.length;
        if (written === size && complete(answer)) finish();
        else setImmediate(next);
      });
    };
    next();
  });
}

function complete(answer: string): boolean {
  const end = answer.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const length = /\r\ncontent-length: (\d+)/i.exec(answer.slice(0, end));
  return length !== null && Buffer.byteLength(answer.slice(end + 4)) >= Number(length[1]);
}

test("a client still sending its body reads the refusal: 413 over the limit, 401 without a token", async (t) => {
  const api = await startApi(t);
  const cases: { size: number; headers: Record<string, string>; status: number; code: string }[] = [
    { size: BODY_LIMIT * 2, headers: { authorization: `Bearer ${api.tokens.admin}` }, status: 413, code: "payload_too_large" },
    // This one Node already read to the end (the connection stays open); it must stay so.
    { size: 8 * 1024 * 1024, headers: {}, status: 401, code: "unauthorized" },
  ];
  for (const { size, headers, status, code } of cases) {
    const upload = await slowUpload(api.port, "/apply", size, headers);
    assert.equal(upload.writeError, undefined, `${status}: the engine closed on the client after ${upload.written} of ${size} bytes`);
    assert.equal(upload.written, size);
    assert.match(upload.answer, new RegExp(`^HTTP/1\\.1 ${status} `));
    assert.match(upload.answer, new RegExp(`"code":"${code}"`));
  }
  assert.equal((await api.call("GET", "/health", { as: null })).status, 200, "and the engine still answers");
});
