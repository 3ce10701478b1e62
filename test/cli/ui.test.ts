/** `spire ui`: a one-time login link into the running engine's web UI, opened in a browser or printed. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

test("spire ui --print gives a link that logs a browser in once, with the local token's scope", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const printed = await spire(["ui", "--print"], { data });
  assert.equal(printed.code, 0, printed.stderr);
  const url = printed.stdout.trim();
  assert.match(url, new RegExp(`^${engine.url.replace(/[.]/g, "\\.")}/login#code=[\\w-]{43}$`), "only the link, on one line");
  assert.ok(!new URL(url).search, "nothing in the query string");
  const code = new URL(url).hash.slice("#code=".length);
  const login = await fetch(`${engine.url}/api/v1/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
  assert.equal(login.status, 201);
  assert.equal(((await login.json()) as { session: { scope: string } }).session.scope, "admin");
  const again = await fetch(`${engine.url}/api/v1/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
  assert.equal(again.status, 401, "once");
  await stopEngine(engine);
});

test("spire ui hands the link to $BROWSER as an argument, never to a shell", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const dir = tempDir(t);
  const opened = join(dir, "opened");
  const browser = join(dir, "browser");
  writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > '${opened}'\n`);
  chmodSync(browser, 0o755);
  const result = await spire(["ui"], { data, env: { BROWSER: browser } });
  assert.equal(result.code, 0, result.stderr);
  // spire ui waits for an opener that exits at once, so the file is written by now.
  const given = readFileSync(opened, "utf8").trim().split("\n");
  assert.equal(given.length, 1, "one argument: the link");
  assert.match(given[0]!, /\/login#code=[\w-]{43}$/);
  assert.match(result.stdout, /^Opened the web UI in your browser\. If it did not open, this link logs you in \(once, within 60 s\):\n {2}http:\/\/127\.0\.0\.1:\d+\/login#code=/);
  await stopEngine(engine);
});

test("spire ui with no engine running says so and how to start one (exit 3); with no browser it prints the link", async (t) => {
  const data = tempDir(t);
  const none = await spire(["ui"], { data });
  assert.equal(none.code, 3);
  assert.match(none.stderr, /no engine is running: the web UI is served by the engine/);
  assert.match(none.stderr, /spire engine/);
  const engine = await startEngine(t, data);
  const headless = await spire(["ui"], { data, env: { BROWSER: "", DISPLAY: "", WAYLAND_DISPLAY: "" } });
  assert.equal(headless.code, 0, headless.stderr);
  assert.match(headless.stdout, /^Open this link to log in to the web UI \(it works once, within 60 s\):\n {2}http:\/\/127\.0\.0\.1:\d+\/login#code=[\w-]{43}\n$/);
  await stopEngine(engine);
});
