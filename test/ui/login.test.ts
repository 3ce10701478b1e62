/**
 * Logging in to the web UI in a real Chromium against a real engine: the
 * one-time link of `spire ui`, a pasted token, logging out; and no code,
 * token or cookie ever in a URL the page asks for.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { assertClean, launchBrowser, loginLink, newContext, skipWithoutBrowser } from "../helpers/browser.js";

checkNoLeftoverProcesses();

const DEFINITIONS = `namespace: home
pipelines:
  report:
    description: Build the weekly report
    tasks:
      build:
        run: echo building
`;

test("the one-time link logs in once; a pasted run token logs in; logging out ends the session; no secret is ever in a URL", { skip: skipWithoutBrowser() }, async (t) => {
  const dir = tempDir(t);
  const engine = await startEngine(t, tempDir(t), ["-f", pipelineFile(dir, DEFINITIONS)]);
  const browser = await launchBrowser(t);

  // The link of `spire ui`: logged in, on the pipelines page, the code gone from the address bar.
  const link = await loginLink(engine.data);
  const code = new URL(link).hash.slice("#code=".length);
  assert.ok(code.length > 20, link);
  const first = await newContext(browser);
  await first.page.goto(link);
  await first.page.waitForURL((url) => url.pathname === "/");
  await first.page.getByRole("heading", { name: "Pipelines", level: 1 }).waitFor();
  await first.page.getByRole("link", { name: "report" }).waitFor();
  assert.equal(new URL(first.page.url()).hash, "", "the code is taken out of the address bar");
  assert.doesNotMatch(String(await first.page.evaluate("location.href")), /code/);
  await first.page.getByText("admin", { exact: true }).waitFor(); // the local token's scope, shown beside the session

  // The same link again, in another browser profile: the login page, with the API's own message.
  const second = await newContext(browser);
  await second.page.goto(link);
  const refusal = second.page.getByRole("alert");
  await refusal.waitFor();
  const answer = await fetch(`${engine.url}/api/v1/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
  assert.equal(answer.status, 401);
  const apiMessage = ((await answer.json()) as { error: { message: string } }).error.message;
  assert.equal((await refusal.textContent())?.trim(), apiMessage, "the API's message, as it said it");
  assert.equal(new URL(second.page.url()).pathname, "/login");
  assert.equal(new URL(second.page.url()).hash, "");

  // A token made with `spire token create --scope run`, pasted on the login page.
  const created = await spire(["token", "create", "--scope", "run", "--name", "browser"], { data: engine.data });
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  const field = second.page.getByLabel("Paste an API token");
  assert.equal(await field.getAttribute("type"), "password", "a pasted token is not shown");
  await field.fill(token);
  await second.page.getByRole("button", { name: "Log in" }).click();
  await second.page.waitForURL((url) => url.pathname === "/");
  await second.page.getByRole("link", { name: "report" }).waitFor();
  await second.page.getByText("run", { exact: true }).waitFor(); // the token's scope
  assert.equal(await second.page.getByRole("button", { name: "Run home/report…" }).count(), 1, "a run scope may start runs");

  // Logging out: back to the login page, and the cookie it had no longer opens anything.
  const [cookie] = (await second.context.cookies()).filter((entry) => entry.name === "spire_session");
  assert.ok(cookie, "the session is a cookie");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");
  const asCookie = { cookie: `${cookie.name}=${cookie.value}` };
  assert.equal((await fetch(`${engine.url}/api/v1/session`, { headers: asCookie })).status, 200, "the cookie works while logged in");
  await second.page.getByRole("button", { name: "Log out" }).click();
  await second.page.waitForURL((url) => url.pathname === "/login");
  await second.page.getByLabel("Paste an API token").waitFor();
  assert.equal((await fetch(`${engine.url}/api/v1/session`, { headers: asCookie })).status, 401, "the old cookie no longer works");
  assert.equal((await fetch(`${engine.url}/api/v1/pipelines`, { headers: asCookie })).status, 401);
  // The first browser's session is another one: still logged in.
  assert.equal((await first.page.evaluate(async () => (await fetch("/api/v1/session")).status)), 200);

  // No code, token or cookie in any URL either page asked for (the fragment is never sent).
  const requested = [...first.requests, ...second.requests];
  assert.ok(requested.some((request) => /^POST \S+\/api\/v1\/sessions$/.test(request)), "the pages did log in through POST /sessions");
  for (const request of requested) {
    for (const secret of [code, token, cookie.value]) assert.ok(!request.includes(secret), `a secret in ${request}`);
    assert.doesNotMatch(request, /[?&#](code|token|session)=/i);
  }
  assertClean(first);
  assertClean(second);
  await browser.close();
  await stopEngine(engine);
});
