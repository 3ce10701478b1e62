/**
 * The package's typed client (import { SpireClient } from "spire") against a
 * real `spire engine -f spire.config.ts`: start a run with arguments, wait
 * for it, read its logs, cancel one, and a typed error for what is not
 * there. The types it is made of are what the engine's OpenAPI document
 * gives (scripts/api-types.js makes them at every build).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { REPO_ROOT, spire } from "../helpers/cli.js";
import { ROUTES } from "../../src/api/routes/index.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { SpireApiError, SpireClient } from "../../src/public/index.js";

checkNoLeftoverProcesses();

const CONFIG = `import { defineConfig, definePipeline } from "spire";

export default defineConfig({
  namespace: "client",
  pipelines: {
    greet: definePipeline({
      args: { who: { default: "nobody" } },
      tasks: {
        hello: { run: 'echo "hello $SPIRE_ARG_WHO"' },
        done: { needs: ["hello"], exec: ["echo", "done"] },
      },
    }),
    slow: { tasks: { wait: { exec: ["sleep", "30"] } } },
  },
});
`;

test("SpireClient against spire engine -f spire.config.ts: list, start with args, wait, logs, cancel, and SpireApiError for a missing run", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "spire.config.ts"), CONFIG);
  const engine = await startEngine(t, join(dir, "data"), ["-f", join(dir, "spire.config.ts")]);
  const client = new SpireClient({ url: engine.url, token: readFileSync(join(dir, "data", "token"), "utf8").trim() });

  assert.equal((await client.health()).status, "ok");
  const pipelines = await client.listPipelines();
  assert.deepEqual(pipelines.pipelines.map((pipeline) => `${pipeline.namespace}/${pipeline.name}`).sort(), ["client/greet", "client/slow"]);

  const started = await client.startRun("client", "greet", { args: { who: "client" } });
  const finished = await client.waitForRun(started.id, { timeoutMs: 20_000, pollMs: 50 });
  assert.equal(finished.state, "succeeded");
  assert.deepEqual(finished.args, { who: "client" });
  const lines = await client.logs(started.id, "hello");
  assert.deepEqual(lines.map((line) => [line.stream, line.line]), [["stdout", "hello client"]]);
  assert.ok(lines.every((line) => typeof line.ts === "number"));
  const page = await client.listRuns({ pipeline: "greet", status: "succeeded" });
  assert.deepEqual(page.runs.map((run) => run.id), [started.id]);

  const slow = await client.startRun("client", "slow");
  await client.cancelRun(slow.id);
  assert.equal((await client.waitForRun(slow.id, { timeoutMs: 20_000, pollMs: 50 })).state, "canceled");

  const missing = await client.getRun("0000000000000000").catch((error: unknown) => error);
  assert.ok(missing instanceof SpireApiError, String(missing));
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "not_found");
  const refused = await client.startRun("client", "greet", { args: { nobody: "x" } }).catch((error: unknown) => error);
  assert.ok(refused instanceof SpireApiError);
  assert.equal(refused.code, "invalid_args");
  const anonymous = await new SpireClient({ url: engine.url }).listRuns().catch((error: unknown) => error);
  assert.ok(anonymous instanceof SpireApiError && anonymous.status === 401);

  // spire apply reads a config file as spire engine -f does, and sends the engine the definitions it made.
  writeFileSync(join(dir, "more.config.mts"), `export default { namespace: "client", pipelines: { later: { tasks: { t: { exec: ["true"] } } } } };\n`);
  const applied = await spire(["apply", "-f", join(dir, "more.config.mts")], { data: join(dir, "data") });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /\+ later {2}created/);
  assert.ok((await client.listPipelines()).pipelines.some((pipeline) => pipeline.name === "later"));
  await stopEngine(engine);
});

test("the client's types, made at build time from the OpenAPI document, have every route of the engine's table", () => {
  const types = readFileSync(join(REPO_ROOT, "src", "public", "api-types", "paths.ts"), "utf8");
  for (const route of ROUTES) {
    const path = `/api/v1${route.path}`;
    const start = types.indexOf(`  "${path}": {`);
    assert.ok(start >= 0, `${path} is not in the client's types`);
    const block = types.slice(start, types.indexOf("\n  };", start));
    assert.match(block, new RegExp(`\\b${route.method.toLowerCase()}: operations\\[`), `${route.method} ${path} is not in the client's types`);
  }
});
