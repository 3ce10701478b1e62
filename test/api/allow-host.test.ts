/**
 * `spire engine --allow-host NAME`: a client that reaches the engine by another
 * name (an SSH tunnel's local port, a reverse proxy, a Tailscale name) is
 * refused until the engine is told the name, and the refusal says how.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { errorOf, rawRequest } from "./harness.js";
import { parseAllowedHosts } from "../../src/cli/commands/engine.js";

checkNoLeftoverProcesses();

const portOf = (url: string) => Number(new URL(url).port);

test("a foreign Host is refused with a hint naming --allow-host, which the engine has and which then admits it", async (t) => {
  const data = tempDir(t);
  const plain = await startEngine(t, data);
  const refused = await rawRequest(portOf(plain.url), "GET", "/api/v1/health", { host: "localhost:8080" });
  assert.equal(refused.status, 403);
  const error = await errorOf(refused);
  assert.equal(error.code, "forbidden");
  assert.match(error.message, /start the engine with --allow-host localhost:8080$/);
  const fromPage = await rawRequest(portOf(plain.url), "GET", "/api/v1/health", { host: new URL(plain.url).host, origin: "http://box.tail1234.ts.net" });
  assert.equal(fromPage.status, 403);
  assert.match((await errorOf(fromPage)).message, /--allow-host box\.tail1234\.ts\.net$/);
  // Whatever a hostile Host holds, it never becomes part of the suggested command.
  const hostile = await rawRequest(portOf(plain.url), "GET", "/api/v1/health", { host: "x;rm -rf ~" });
  assert.match((await errorOf(hostile)).message, /--allow-host NAME$/);
  await stopEngine(plain);

  const help = await spire(["engine", "--help"], { data });
  assert.match(help.stdout, /--allow-host <name>/, "the hint names an option that exists");

  const allowing = await startEngine(t, data, ["--allow-host", "localhost:8080", "--allow-host", "Box.Tail1234.ts.net"]);
  const port = portOf(allowing.url);
  assert.equal((await rawRequest(port, "GET", "/api/v1/health", { host: "localhost:8080" })).status, 200, "the tunnel's name and port");
  assert.equal((await rawRequest(port, "GET", "/api/v1/health", { host: "box.tail1234.ts.net" })).status, 200, "a name without a port, any case");
  assert.equal((await rawRequest(port, "GET", "/api/v1/health", { host: `box.tail1234.ts.net:${port}` })).status, 200, "the name with the engine's own port");
  assert.equal((await rawRequest(port, "GET", "/api/v1/health", { host: new URL(allowing.url).host, origin: "http://box.tail1234.ts.net" })).status, 200);
  assert.equal((await rawRequest(port, "GET", "/api/v1/health", { host: "localhost:8081" })).status, 403, "only the names given");
  assert.equal((await rawRequest(port, "GET", "/api/v1/health", { host: "evil.example" })).status, 403);
  await stopEngine(allowing);
});

test("--allow-host refuses what is not a host name, before starting anything", async (t) => {
  const data = tempDir(t);
  const result = await spire(["engine", "--listen", "127.0.0.1:0", "--allow-host", "http://box:8080/"], { data });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^spire: --allow-host "http:\/\/box:8080\/" is not a host name\n.*--allow-host NAME or NAME:PORT/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack");
  for (const bad of ["box/path", "", "a b", "box:port", "[::1"]) assert.throws(() => parseAllowedHosts([bad]), /is not a host name/, JSON.stringify(bad));
  assert.deepEqual(parseAllowedHosts(["localhost:8080", "box.tail1234.ts.net", "[fd7a::1]:7431", "10.0.0.2"]), ["localhost:8080", "box.tail1234.ts.net", "[fd7a::1]:7431", "10.0.0.2"]);
});
