/** What the API writes to the engine's log: requests by route and status, never tokens or bodies; 500s in full. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import pino from "pino";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, startApi } from "./harness.js";

checkNoLeftoverProcesses();

test("an unexpected error is a generic 500, logged without the token, headers or body", async (t) => {
  let log = "";
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((log += chunk.toString()), done()) });
  const api = await startApi(t, {
    logger: pino({ level: "debug" }, sink),
    service: (engine) =>
      new Proxy(engine, {
        get(target, key) {
          // GET /pipelines answers with listPipelinesJson; listPipelines is the same for other clients.
          if (key === "listPipelines" || key === "listPipelinesJson") return async () => Promise.reject(new Error("disk on fire"));
          const value = Reflect.get(target, key) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
  });
  const failed = await api.call("GET", "/pipelines");
  assert.equal(failed.status, 500);
  const error = await errorOf(failed);
  assert.equal(error.code, "internal");
  assert.ok(!error.message.includes("disk on fire"), "the client gets no internals");
  const body = "pipelines-text-BODY-MARKER: {";
  await api.call("POST", "/apply?ns=test", { body, contentType: "text/yaml" });
  await api.call("POST", "/tokens", { body: { name: "log-check", scope: "read" } });
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(log, /disk on fire/, "the 500 is logged with its cause");
  assert.match(log, /"route":"\/api\/v1\/apply"/);
  for (const secret of [api.tokens.admin, api.tokens.read, "BODY-MARKER", "Bearer"]) assert.ok(!log.includes(secret), `the log holds ${secret.slice(0, 12)}…`);
});
