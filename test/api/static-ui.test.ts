/**
 * The web UI's files served by the engine: pages get index.html with a strict
 * Content-Security-Policy, hashed assets are kept by browsers, nothing outside
 * the built folder is reachable, and /api/ answers stay the API's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StaticUi, UI_CSP } from "../../src/api/static-ui.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { errorOf, rawRequest, startApi } from "./harness.js";

checkNoLeftoverProcesses();

function builtUi(t: import("node:test").TestContext): string {
  const dir = tempDir(t);
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), '<!doctype html><title>Spire</title><script type="module" src="/assets/app-3f2a.js"></script>');
  writeFileSync(join(dir, "assets", "app-3f2a.js"), `console.log(${JSON.stringify("x".repeat(2000))});`);
  writeFileSync(join(dir, "assets", "app-3f2a.css"), "body{margin:0}");
  return dir;
}

test("pages are index.html under a strict CSP; hashed assets are cached for a year and sent gzipped when asked", async (t) => {
  const api = await startApi(t, { ui: new StaticUi(builtUi(t)) });
  for (const path of ["/", "/runs/01abc", "/pipelines/home/backup", "/engine?tab=tokens"]) {
    const page = await rawRequest(api.port, "GET", path);
    assert.equal(page.status, 200, path);
    assert.match(page.body, /<title>Spire<\/title>/, path);
    assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(page.headers["content-security-policy"], UI_CSP);
    assert.match(UI_CSP, /script-src 'self';/);
    assert.doesNotMatch(UI_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers["x-frame-options"], "DENY");
  }
  const script = await rawRequest(api.port, "GET", "/assets/app-3f2a.js", { "accept-encoding": "gzip, br" });
  assert.equal(script.status, 200);
  assert.equal(script.headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal(script.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.equal(script.headers["content-encoding"], "gzip");
  const plain = await fetch(`${api.url}/assets/app-3f2a.js`);
  assert.match(await plain.text(), /^console\.log\("x+"\);$/, "fetch unzips what it asked for");
  const zipped = await rawRequest(api.port, "GET", "/assets/app-3f2a.css", { "accept-encoding": "identity" });
  assert.equal(zipped.headers["content-encoding"], undefined, "not gzipped unless asked");
  assert.equal(zipped.body, "body{margin:0}");
});

test("nothing outside the built folder is served, and /api/ paths keep the API's answers", async (t) => {
  const api = await startApi(t, { ui: new StaticUi(builtUi(t)) });
  for (const path of ["/assets/../../package.json", "/assets/%2e%2e/%2e%2e/package.json", "/../package.json", "/assets/missing.js", "/index.html.map", "/assets/app-3f2a.js/..%2f..%2fspire.db"]) {
    const answer = await rawRequest(api.port, "GET", path);
    assert.equal(answer.status, 404, path);
    assert.doesNotMatch(answer.body, /"name": "spire"|SQLite/, path);
  }
  const api404 = await rawRequest(api.port, "GET", "/api/v1/nothing-here");
  assert.equal(api404.status, 404);
  assert.match((await errorOf(api404)).message, /no route GET \/api\/v1\/nothing-here/);
  const post = await rawRequest(api.port, "POST", "/");
  assert.equal(post.status, 404, "pages are only read");
  const foreignHost = await rawRequest(api.port, "GET", "/", { host: "evil.example" });
  assert.equal(foreignHost.status, 403, "DNS rebinding: a page under another name gets nothing, the UI included");
});

test("an engine whose UI was not built says how to build it", async (t) => {
  const api = await startApi(t, { ui: new StaticUi(tempDir(t)) });
  const page = await rawRequest(api.port, "GET", "/");
  assert.equal(page.status, 503);
  assert.match(page.body, /The web UI was not built: run npm run build/);
  assert.equal((await rawRequest(api.port, "GET", "/api/v1/health")).status, 200);
});

test("a page's address whose % escapes cannot be read gets a page that says so, with a way back; API clients still get JSON", async (t) => {
  const api = await startApi(t, { ui: new StaticUi(builtUi(t)) });
  const page = await rawRequest(api.port, "GET", "/runs/%E0%A4%A", { accept: "text/html,application/xhtml+xml" });
  assert.equal(page.status, 400);
  assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
  assert.match(page.body, /<h1>This address does not lead anywhere<\/h1>/);
  assert.match(page.body, /<p>The URL&#39;s path cannot be read: a % in it is not followed by two hex digits/);
  assert.match(page.body, /<a href="\/">Go to Spire's pipelines<\/a>/);
  assert.match(String(page.headers["content-security-policy"]), /default-src 'none'/);
  for (const [path, accept] of [["/api/v1/runs/%E0%A4%A", "text/html"], ["/runs/%E0%A4%A", "application/json"]] as const) {
    const answer = await rawRequest(api.port, "GET", path, { accept });
    assert.equal(answer.status, 400, path);
    assert.equal(answer.headers["content-type"], "application/json; charset=utf-8", `${path} asking for ${accept}`);
    assert.equal((await errorOf(answer)).code, "bad_request");
  }
});
