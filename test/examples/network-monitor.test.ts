/**
 * examples/network-monitor.yaml on an engine, against a local server taken
 * down and brought up again: a failure, then recovered, and missed checks
 * reported after a pause.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { apiGet, startEngine, stopEngine } from "../helpers/engine.js";
import { editedRecipe } from "../helpers/recipe.js";
import { listen } from "../notify/helpers.js";

checkNoLeftoverProcesses();

function healthServer(port: number): Promise<Server> {
  const server = createServer((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}'));
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

function down(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

test("the monitor says failure when the server goes down, recovered when it is back, and missed after a pause", async (t) => {
  const data = join(tempDir(t), "data");
  let server = await healthServer(0);
  const port = (server.address() as AddressInfo).port;
  t.after(() => down(server));
  const receiver = await listen(t);
  const events = () => receiver.received.map((delivery) => delivery.body.event);
  const recipe = editedRecipe(t, "network-monitor.yaml", {
    "http://127.0.0.1:8000/health": `http://127.0.0.1:${port}/health`,
    "http://127.0.0.1:8080/spire-monitor": receiver.url,
    // A person checks every 30 s; the test every second, with short retries.
    "every: 30s": "every: 1s",
    "backoff: 2s": "backoff: 100ms",
  });
  const engine = await startEngine(t, data, ["-f", recipe]);
  const succeeded = () => apiGet<{ runs: unknown[] }>(engine, "/runs?pipeline=website&status=succeeded&limit=1");
  await until(async () => (await succeeded()).runs.length > 0, "a first check that passes", 20_000);
  assert.deepEqual(events(), [], "checks that pass send nothing");

  await down(server);
  await until(() => events().includes("failure"), "the failure notification", 20_000);
  const failure = receiver.received.find((delivery) => delivery.body.event === "failure")!.body;
  assert.match(failure.text, /^monitor\/website failed/);
  assert.equal(failure.run?.tasks[0]?.attempts, 3, "two retries before the check counted as failed");

  server = await healthServer(port);
  await until(() => events().includes("recovered"), "the recovered notification", 20_000);

  assert.equal((await spire(["pause", "monitor/website"], { data })).code, 0);
  // Slots must pass while it is paused: there is no event to wait for but the clock.
  await delay(2_500);
  assert.equal((await spire(["resume", "monitor/website"], { data })).code, 0);
  await until(() => events().includes("missed"), "the missed notification", 20_000);
  const missed = receiver.received.find((delivery) => delivery.body.event === "missed")!.body;
  assert.equal(missed.run, null);
  assert.match(String(missed.missed?.reason), /paused/);
  assert.ok(Number(missed.missed?.count) >= 1);
  await stopEngine(engine);
});
