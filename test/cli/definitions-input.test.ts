/**
 * `-f -` (stdin) and `-f https://…` through the real `spire`: validate, run,
 * apply and engine read definitions from either; errors name `<stdin>` or the
 * URL with line:column; a fetch that fails says why and what to do; plain
 * http needs --allow-http-file; relative paths are relative to the current
 * folder for stdin and refused for a URL. The HTTPS server is a real one in
 * this process, with a self-signed certificate trusted through
 * NODE_EXTRA_CA_CERTS (as a user trusts an engine's).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { makeCertificate } from "../helpers/certificate.js";

checkNoLeftoverProcesses();

const GOOD = "pipelines:\n  hello:\n    tasks:\n      say: { run: echo hello-from-far }\n";
const BROKEN = "pipelines:\n  hello:\n    tasks:\n      say: { run: echo hi, timeout: soon }\n";
const RELATIVE = "pipelines:\n  hello:\n    tasks:\n      say: { script: ./say.sh }\n      abs: { script: /bin/true }\n";
const PAGES: Record<string, string> = { "/good.yaml": GOOD, "/broken.yaml": BROKEN, "/relative.yaml": RELATIVE };

function serve(request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? "").replace(/\?.*$/, "");
  if (path === "/huge.yaml") {
    // No length said: the limit must hold while reading.
    response.writeHead(200, { "content-type": "text/yaml" });
    const line = `# ${"x".repeat(1021)}\n`;
    for (let i = 0; i < 6 * 1024; i++) response.write(line);
    response.end();
    return;
  }
  const page = PAGES[path];
  if (page === undefined) {
    response.writeHead(404).end("no such page");
    return;
  }
  response.writeHead(200, { "content-type": "text/yaml" }).end(page);
}

async function listen(t: TestContext, server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

async function httpsServer(t: TestContext, dir: string): Promise<{ base: string; trust: Record<string, string> }> {
  const { cert, key } = makeCertificate(join(dir, "tls"), ["127.0.0.1"]);
  const server = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, serve);
  const port = await listen(t, server);
  return { base: `https://127.0.0.1:${port}`, trust: { NODE_EXTRA_CA_CERTS: cert } };
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
}

test("-f - reads stdin: validate and run take it, errors say <stdin>:line:column, relative paths are from the current folder", async (t) => {
  const dir = tempDir(t);
  const valid = await spire(["validate", "-f", "-"], { data: dir, cwd: dir, input: GOOD });
  assert.equal(valid.code, 0, valid.stderr);
  assert.match(valid.stdout, /<stdin> is valid: 1 pipeline \(hello\)/);

  const broken = await spire(["validate", "-f", "-"], { data: dir, cwd: dir, input: BROKEN });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /<stdin>:4:\d+ +pipelines\.hello\.tasks\.say\.timeout/);
  assertNoStack(broken.stderr);

  const missing = await spire(["validate", "-f", "-"], { data: dir, cwd: dir, input: RELATIVE });
  assert.equal(missing.code, 2);
  assert.ok(missing.stderr.includes(`looked for ${join(dir, "say.sh")}`), missing.stderr);

  writeFileSync(join(dir, "say.sh"), "#!/bin/sh\necho said > said.txt\n");
  chmodSync(join(dir, "say.sh"), 0o755);
  const ran = await spire(["run", "-f", "-"], { data: join(dir, "data"), cwd: dir, input: RELATIVE });
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(readFileSync(join(dir, "said.txt"), "utf8"), "said\n", "the script ran in the current folder");

  const applied = await spire(["apply", "-f", "-", "--json"], { data: join(dir, "data"), cwd: dir, input: GOOD.replace("pipelines:", "namespace: piped\npipelines:") });
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(JSON.parse(applied.stdout).namespace, "piped");
  const namespaces = JSON.parse((await spire(["ns", "--json"], { data: join(dir, "data") })).stdout) as { name: string; origin: { path: string } }[];
  assert.equal(namespaces.find((namespace) => namespace.name === "piped")?.origin.path, join(dir, "<stdin>"), "stdin stands in the current folder");
});

test("-f https://…: validate, run, apply and engine fetch the definitions; errors name the URL and line:column", async (t) => {
  const dir = tempDir(t);
  const { base, trust } = await httpsServer(t, dir);
  const valid = await spire(["validate", "-f", `${base}/good.yaml`], { data: dir, env: trust });
  assert.equal(valid.code, 0, valid.stderr);
  assert.ok(valid.stdout.includes(`${base}/good.yaml is valid`), valid.stdout);

  const broken = await spire(["validate", "-f", `${base}/broken.yaml`], { data: dir, env: trust });
  assert.equal(broken.code, 2);
  assert.ok(broken.stderr.includes(`${base}/broken.yaml:4:`), broken.stderr);
  assert.match(broken.stderr, /pipelines\.hello\.tasks\.say\.timeout/);

  const ran = await spire(["run", "-f", `${base}/good.yaml`, "--json"], { data: join(dir, "run-data"), env: trust });
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(JSON.parse(ran.stdout).state, "succeeded");

  const engine = await startEngine(t, join(dir, "engine-data"), ["-f", `${base}/good.yaml`], trust);
  const listed = JSON.parse((await spire(["ls", "--json"], { data: engine.data })).stdout) as { name: string }[];
  assert.deepEqual(listed.map((pipeline) => pipeline.name), ["hello"]);
  const applied = await spire(["apply", "-f", `${base}/good.yaml?token=s3cret`, "--ns", "far", "--json"], { data: engine.data, env: trust });
  assert.equal(applied.code, 0, applied.stderr);
  const namespaces = (await spire(["ns", "--json"], { data: engine.data })).stdout;
  assert.ok(namespaces.includes(`${base}/good.yaml?…`), namespaces);
  assert.ok(!namespaces.includes("s3cret"), "a query string (it may hold a token) is not recorded");
  await stopEngine(engine);
});

test("a fetch that fails is one clear error: 404, untrusted certificate, too big, unknown host; the query string is never shown", async (t) => {
  const dir = tempDir(t);
  const { base, trust } = await httpsServer(t, dir);
  const cases: [string, Record<string, string>, RegExp, RegExp][] = [
    [`${base}/nothing.yaml?token=s3cret`, trust, /nothing\.yaml\?… +the server answered 404/, /check the URL/],
    [`${base}/good.yaml`, {}, /good\.yaml +cannot fetch it: the server's certificate is not trusted here/, /NODE_EXTRA_CA_CERTS/],
    [`${base}/huge.yaml`, trust, /huge\.yaml.*definitions files are limited to 5 MiB/, /split it/],
    ["https://no-such-host.invalid/spire.yaml", trust, /no-such-host\.invalid\/spire\.yaml +cannot fetch it: (the host name no-such-host\.invalid is not known|the connection failed)/, /check/],
  ];
  for (const [url, env, message, hint] of cases) {
    const result = await spire(["validate", "-f", url], { data: dir, env });
    assert.equal(result.code, 2, `${url}: ${result.stderr}`);
    assert.match(result.stderr, message, url);
    assert.match(result.stderr, hint, url);
    assert.doesNotMatch(result.stderr, /s3cret/);
    assertNoStack(result.stderr);
  }
});

test("plain http is refused unless --allow-http-file; a URL's relative paths are refused, its absolute ones kept", async (t) => {
  const dir = tempDir(t);
  const port = await listen(t, createHttpServer(serve));
  const url = `http://127.0.0.1:${port}/good.yaml`;
  const refused = await spire(["validate", "-f", url], { data: dir });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /refusing plain http/);
  assert.match(refused.stderr, /--allow-http-file/);
  const allowed = await spire(["validate", "-f", url, "--allow-http-file"], { data: dir });
  assert.equal(allowed.code, 0, allowed.stderr);
  // A service has no --allow-http-file: it is told what it can do instead, nothing about an option it lacks.
  const service = await spire(["service", "install", "--dry-run", "-f", `${url}?token=hidden`], { data: dir, env: { HOME: dir, XDG_CONFIG_HOME: join(dir, "config") } });
  assert.equal(service.code, 2, service.stderr);
  assert.match(service.stderr, /a service fetches its definitions only over https/);
  assert.doesNotMatch(service.stderr, /--allow-http-file|hidden/);

  const relative = await spire(["validate", "-f", `http://127.0.0.1:${port}/relative.yaml`, "--allow-http-file"], { data: dir, cwd: dir });
  assert.equal(relative.code, 2);
  assert.match(relative.stderr, /relative\.yaml:4:\d+ +pipelines\.hello\.tasks\.say\.script: script "\.\/say\.sh" is a relative path/);
  assert.doesNotMatch(relative.stderr, /tasks\.abs/, "an absolute path is kept");
  assert.match(relative.stderr, /give an absolute path/);
});
