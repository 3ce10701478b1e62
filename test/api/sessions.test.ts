/**
 * Browser sessions: a one-time login link or a pasted token becomes an
 * HttpOnly, SameSite=Strict cookie; changes made with it need the page's
 * Origin and the CSRF token; sessions are listed, revoked, end with their
 * token, and never take a token from a query string.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, startApi, type Api } from "./harness.js";
import { LoginLinks, LOGIN_LINK_TTL_MS } from "../../src/api/login-links.js";

checkNoLeftoverProcesses();

interface Login {
  cookie: string;
  setCookie: string;
  csrf: string;
  session: { id: string; scope: string; expires_at: string };
}

async function loginLink(api: Api, as: "read" | "run" | "admin" | { token: string } = "run"): Promise<string> {
  const response = await api.call("POST", "/ui/login-link", { as });
  assert.equal(response.status, 201, await response.clone().text());
  const { path, expires_at } = (await response.json()) as { path: string; expires_at: string };
  assert.match(path, /^\/login#code=[A-Za-z0-9_-]{43}$/, "the code is in the fragment, which a browser sends nowhere");
  assert.ok(Math.abs(Date.parse(expires_at) - Date.now() - LOGIN_LINK_TTL_MS) < 5_000, "good for 60 s");
  return path.slice("/login#code=".length);
}

async function logIn(api: Api, body: { code: string } | { token: string }): Promise<Login> {
  const response = await api.call("POST", "/sessions", { as: null, body });
  assert.equal(response.status, 201, await response.clone().text());
  const setCookie = response.headers.get("set-cookie") ?? "";
  const { session, csrf } = (await response.json()) as { session: Login["session"]; csrf: string };
  return { cookie: setCookie.split(";")[0]!, setCookie, csrf, session };
}

/** A request as the UI's page makes it: the cookie, the page's Origin, and (for changes) the CSRF token. */
function asPage(api: Api, login: Login, method: string, path: string, extra: Record<string, string> = {}, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { cookie: login.cookie, origin: api.url, ...extra };
  return api.call(method, path, { as: null, headers, ...(body === undefined ? {} : { body }) });
}

test("a login link works once, for the scope of the token that asked, and sets an HttpOnly SameSite=Strict cookie", async (t) => {
  const api = await startApi(t);
  const code = await loginLink(api, "run");
  const login = await logIn(api, { code });
  assert.match(login.setCookie, /^spire_session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  assert.equal(login.session.scope, "run");
  const again = await api.call("POST", "/sessions", { as: null, body: { code } });
  assert.equal(again.status, 401);
  assert.match((await errorOf(again)).message, /used already or is older than a minute: run spire ui again/);

  const me = await asPage(api, login, "GET", "/session");
  assert.equal(me.status, 200);
  const who = (await me.json()) as { scope: string; csrf: string; session: { id: string } };
  assert.deepEqual([who.scope, who.csrf, who.session.id], ["run", login.csrf, login.session.id]);
  assert.equal((await asPage(api, login, "GET", "/pipelines")).status, 200, "the cookie authenticates the API");
  const admin = await asPage(api, login, "GET", "/tokens");
  assert.equal(admin.status, 403, "no more than the run scope it came from");
});

test("a link's code expires after 60 s and is good once (the clock is the only thing faked here)", () => {
  let now = 1_000_000;
  const links = new LoginLinks(() => now);
  const actor = { name: "local", scope: "admin" as const };
  const first = links.create(actor);
  const second = links.create(actor);
  now += LOGIN_LINK_TTL_MS - 1;
  assert.deepEqual(links.redeem(first.code), actor);
  assert.equal(links.redeem(first.code), undefined, "once");
  now += 1;
  assert.equal(links.redeem(second.code), undefined, "not at 60 s");
  assert.equal(links.redeem("made-up"), undefined);
});

test("a pasted token logs in with its own scope, never beyond its expiry; a bad one is refused", async (t) => {
  const api = await startApi(t);
  const created = await api.call("POST", "/tokens", { body: { name: "laptop", scope: "read", ttl: "1h" } });
  const { token, info } = (await created.json()) as { token: string; info: { expires_at: string } };
  const login = await logIn(api, { token });
  assert.equal(login.session.scope, "read");
  assert.ok(Date.parse(login.session.expires_at) <= Date.parse(info.expires_at), "a session does not outlive its token");

  const bad = await api.call("POST", "/sessions", { as: null, body: { token: "not.a.token" } });
  assert.equal(bad.status, 401);
  assert.match((await errorOf(bad)).message, /the token is not valid/);
  const both = await api.call("POST", "/sessions", { as: null, body: { token, code: "x" } });
  assert.equal(both.status, 400);
  assert.match(JSON.stringify(await errorOf(both)), /expected \{ code \} from a login link or \{ token \}/);
  const fromForeignPage = await api.call("POST", "/sessions", { as: null, body: { token }, headers: { origin: "http://evil.example" } });
  assert.equal(fromForeignPage.status, 403, "another site cannot log a browser in to a session of its choosing");
});

test("a change made with the cookie needs the page's Origin and this session's CSRF token", async (t) => {
  const api = await startApi(t);
  await api.apply("pipelines:\n  p:\n    tasks:\n      a: { run: 'true' }\n");
  const login = await logIn(api, { code: await loginLink(api, "run") });
  const other = await logIn(api, { code: await loginLink(api, "run") });

  const noToken = await asPage(api, login, "POST", "/pipelines/test/p/pause");
  assert.equal(noToken.status, 403);
  assert.match((await errorOf(noToken)).message, /x-spire-csrf header is missing or does not belong to this session: reload the page/);
  assert.equal((await asPage(api, login, "POST", "/pipelines/test/p/pause", { "x-spire-csrf": other.csrf })).status, 403, "another session's token");
  const noOrigin = await api.call("POST", "/pipelines/test/p/pause", { as: null, headers: { cookie: login.cookie, "x-spire-csrf": login.csrf } });
  assert.equal(noOrigin.status, 403);
  assert.match((await errorOf(noOrigin)).message, /Origin header is missing/);
  const foreign = await api.call("POST", "/pipelines/test/p/pause", { as: null, headers: { cookie: login.cookie, "x-spire-csrf": login.csrf, origin: "http://evil.example" } });
  assert.equal(foreign.status, 403);
  const pipeline = await (await api.call("GET", "/pipelines/test/p")).json() as { paused: boolean };
  assert.equal(pipeline.paused, false, "nothing refused took effect");

  const ok = await asPage(api, login, "POST", "/pipelines/test/p/pause", { "x-spire-csrf": login.csrf });
  assert.equal(ok.status, 200, await ok.text());
  assert.equal(((await (await api.call("GET", "/pipelines/test/p")).json()) as { paused: boolean }).paused, true);
});

test("sessions are listed and revoked; revoking a token ends its sessions; logout clears the cookie", async (t) => {
  const api = await startApi(t);
  const fromAdmin = await logIn(api, { code: await loginLink(api, "admin") });
  const fromRunner = await logIn(api, { code: await loginLink(api, "run") });

  const listed = (await (await asPage(api, fromAdmin, "GET", "/sessions")).json()) as { sessions: { id: string; from: string; scope: string }[] };
  assert.deepEqual(
    listed.sessions.map((session) => [session.id, session.from, session.scope]).sort(),
    [[fromAdmin.session.id, "admin", "admin"], [fromRunner.session.id, "runner", "run"]].sort(),
  );
  const tokens = (await (await api.call("GET", "/tokens")).json()) as { tokens: { id: string }[] };
  assert.ok(!tokens.tokens.some((token) => token.id === fromAdmin.session.id), "GET /tokens lists API tokens, not sessions");

  const runnerId = (await api.auth.list()).find((token) => token.name === "runner")!.id;
  assert.equal((await api.call("DELETE", `/tokens/${runnerId}`)).status, 204);
  assert.equal((await asPage(api, fromRunner, "GET", "/pipelines")).status, 401, "the session ended with its token");

  const second = await logIn(api, { code: await loginLink(api, "admin") });
  assert.equal((await asPage(api, fromAdmin, "DELETE", `/sessions/${second.session.id}`, { "x-spire-csrf": fromAdmin.csrf })).status, 204);
  assert.equal((await asPage(api, second, "GET", "/pipelines")).status, 401, "revoked");
  assert.equal((await asPage(api, fromAdmin, "DELETE", `/sessions/${second.session.id}`, { "x-spire-csrf": fromAdmin.csrf })).status, 404);
  assert.equal((await api.call("DELETE", `/sessions/${runnerId}`)).status, 404, "a token is not a session");

  const logout = await asPage(api, fromAdmin, "DELETE", "/session", { "x-spire-csrf": fromAdmin.csrf });
  assert.equal(logout.status, 204);
  assert.match(logout.headers.get("set-cookie") ?? "", /^spire_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
  assert.equal((await asPage(api, fromAdmin, "GET", "/pipelines")).status, 401);
  const audit = (await (await api.call("GET", "/audit")).json()) as { entries: { action: string }[] };
  assert.ok(audit.entries.some((entry) => entry.action === "session.create"), "sessions are in the audit log");
});

test("only a session's token works as the cookie, and no token is taken from a query string", async (t) => {
  const api = await startApi(t);
  const asCookie = await api.call("GET", "/pipelines", { as: null, headers: { cookie: `spire_session=${api.tokens.admin}` } });
  assert.equal(asCookie.status, 401, "an API token is sent as a Bearer header, not as the session cookie");
  const inQuery = await api.call("GET", `/pipelines?token=${api.tokens.admin}`, { as: null });
  assert.notEqual(inQuery.status, 200);
  assert.equal(inQuery.status, 401);
  const behindTls = await api.call("POST", "/sessions", { as: null, body: { code: await loginLink(api) }, headers: { "x-forwarded-proto": "https" } });
  assert.match(behindTls.headers.get("set-cookie") ?? "", /; Secure$/, "behind a TLS proxy the cookie never crosses a network in clear");
});
