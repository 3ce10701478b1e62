/** Tokens, the secret file and the local token: what makes a request authenticated. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { SignJWT } from "jose";
import { loadOrCreateSecret, TokenAuthority } from "../../src/api/auth.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { errorOf, startApi } from "./harness.js";
import { openTestStore } from "../helpers/sqlite-store.js";

checkNoLeftoverProcesses();

async function authority(t: Parameters<typeof tempDir>[0], now: () => number = Date.now) {
  const dir = tempDir(t);
  const store = await openTestStore(t, dir);
  return { dir, store, auth: new TokenAuthority(store, await loadOrCreateSecret(dir), now) };
}

test("the secret is 32 bytes, mode 0600, and the same on the next start", async (t) => {
  const dir = tempDir(t);
  const first = await loadOrCreateSecret(dir);
  assert.equal(first.length, 32);
  assert.equal((await stat(join(dir, "secret"))).mode & 0o777, 0o600);
  assert.deepEqual(await loadOrCreateSecret(dir), first);
});

test("a secret readable by group or others is refused with what to do", async (t) => {
  const dir = tempDir(t);
  await loadOrCreateSecret(dir);
  await chmod(join(dir, "secret"), 0o640);
  await assert.rejects(loadOrCreateSecret(dir), { message: /mode 640: group or others can read it$/, hint: /^Run chmod 600 / });
});

test("two engines starting at once make one secret", async (t) => {
  const dir = tempDir(t);
  const [a, b] = await Promise.all([loadOrCreateSecret(dir), loadOrCreateSecret(dir)]);
  assert.deepEqual(a, b);
});

test("issue, verify, list, revoke: revocation takes effect on the next verify", async (t) => {
  const { auth } = await authority(t);
  const { token, info } = await auth.issue({ name: "ci", scope: "run" });
  assert.deepEqual(await auth.verify(token), { name: "ci", scope: "run", tokenId: info.id });
  assert.deepEqual((await auth.list()).map((row) => row.id), [info.id]);
  assert.equal(await auth.revoke(info.id), true);
  assert.equal(await auth.verify(token), undefined);
  assert.equal(await auth.revoke(info.id), false, "revoking twice reports nothing revoked");
});

test("a known token from its Authorization header: the last one's header whole, any other cut out; anything else is looked up", async (t) => {
  let now = 1_700_000_000_000;
  const { auth } = await authority(t, () => now);
  const first = await auth.issue({ name: "first", scope: "read" });
  const second = await auth.issue({ name: "second", scope: "run", ttlMs: 60_000 });
  assert.equal(auth.verifyKnownBearer(`Bearer ${first.token}`), undefined, "never verified here: its signature is checked by verify");
  for (const { token } of [first, second]) assert.ok(await auth.verify(token));
  // In turns, so each is once the last one used and once found in the cache.
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(auth.verifyKnownBearer(`Bearer ${first.token}`)?.actor, { name: "first", scope: "read", tokenId: first.info.id });
    assert.deepEqual(auth.verifyKnownBearer(`Bearer ${second.token}`)?.actor, { name: "second", scope: "run", tokenId: second.info.id });
  }
  const last = second.token.at(-1) === "A" ? "B" : "A";
  for (const header of [`Bearer ${second.token.slice(0, -1)}${last}`, `Bearer ${second.token}x`, `bearer ${second.token}`, `Bearer  ${second.token}`, second.token, `Basic ${second.token}`]) {
    assert.equal(auth.verifyKnownBearer(header), undefined, header.slice(0, 12));
  }
  now += 60_000;
  assert.equal(auth.verifyKnownBearer(`Bearer ${second.token}`), undefined, "expired: not known any more");
  assert.equal(await auth.verify(second.token), undefined, "and refused");
  assert.equal(await auth.revoke(first.info.id), true);
  assert.equal(auth.verifyKnownBearer(`Bearer ${first.token}`), undefined, "revoked: its record is read again");
  assert.equal(await auth.verify(first.token), undefined);
});

test("a token revoked through another engine on the same store is refused within a second", async (t) => {
  let now = 1_700_000_000_000;
  const { auth, store, dir } = await authority(t, () => now);
  const other = new TokenAuthority(store, await loadOrCreateSecret(dir), () => now);
  const { token, info } = await auth.issue({ name: "shared", scope: "read" });
  assert.ok(await auth.verify(token));
  assert.equal(await other.revoke(info.id), true);
  assert.equal(await other.verify(token), undefined, "the engine that revoked refuses it at once");
  now += 999;
  assert.ok(await auth.verify(token), "this engine's copy of the record is still fresh");
  now += 2;
  assert.equal(await auth.verify(token), undefined, "read again from the store: revoked");
});

test("a record read from the store while the token is revoked does not bring it back", async (t) => {
  let now = 1_700_000_000_000;
  const { store, dir } = await authority(t);
  // The real store, with token reads held until released: a slow store (PostgreSQL, later).
  let release: (() => void) | undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let readDone: (() => void) | undefined;
  const read = new Promise<void>((resolve) => (readDone = resolve));
  let holding = false;
  const slow: typeof store = Object.create(store);
  slow.getToken = async (id) => {
    const row = await store.getToken(id);
    if (!holding) return row;
    readDone!();
    await held;
    return row;
  };
  const auth = new TokenAuthority(slow, await loadOrCreateSecret(dir), () => now);
  const { token, info } = await auth.issue({ name: "raced", scope: "read" });
  now += 1001;
  holding = true;
  const during = auth.verify(token);
  await read;
  assert.equal(await auth.revoke(info.id), true);
  release!();
  assert.ok(await during, "the request that came before the revoke may pass");
  holding = false;
  assert.equal(await auth.verify(token), undefined, "the old record was not kept");
});

test("requests that find a token's record stale at once share one store read", async (t) => {
  let now = 1_700_000_000_000;
  const { store, dir } = await authority(t);
  let reads = 0;
  const counted: typeof store = Object.create(store);
  // The real store, answering a turn of the event loop later (as a store over the network does): the requests all ask meanwhile.
  counted.getToken = async (id) => {
    reads++;
    await new Promise((resolve) => setImmediate(resolve));
    return store.getToken(id);
  };
  const auth = new TokenAuthority(counted, await loadOrCreateSecret(dir), () => now);
  const { token } = await auth.issue({ name: "busy", scope: "read" });
  assert.equal((await auth.verify(token))?.name, "busy", "its signature checked once, as a client's first request does");
  now += 1001;
  reads = 0;
  const actors = await Promise.all(Array.from({ length: 10 }, () => auth.verify(token)));
  assert.ok(actors.every((actor) => actor?.name === "busy"), JSON.stringify(actors));
  assert.equal(reads, 1, "ten requests, one read");
  now += 1001;
  await auth.verify(token);
  assert.equal(reads, 2, "stale again: read again");
});

test("last_used_at is written once a minute per token, not per request", async (t) => {
  let now = 1_700_000_000_000;
  const { auth, store } = await authority(t, () => now);
  const { token, info } = await auth.issue({ name: "ui", scope: "read" });
  await auth.verify(token);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await store.getToken(info.id))?.last_used_at, now);
  const first = now;
  now += 30_000;
  await auth.verify(token);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await store.getToken(info.id))?.last_used_at, first);
  now += 31_000;
  await auth.verify(token);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await store.getToken(info.id))?.last_used_at, now);
});

test("a token past its ttl no longer verifies", async (t) => {
  let now = 1_700_000_000_000;
  const { auth } = await authority(t, () => now);
  const { token } = await auth.issue({ name: "short", scope: "read", ttlMs: 60_000 });
  assert.ok(await auth.verify(token));
  now += 61_000;
  assert.equal(await auth.verify(token), undefined);
});

test("the local token is written 0600, reused while valid, replaced when revoked", async (t) => {
  const { dir, auth } = await authority(t);
  const token = await auth.ensureLocalToken(dir);
  assert.equal((await stat(join(dir, "token"))).mode & 0o777, 0o600);
  assert.equal((await readFile(join(dir, "token"), "utf8")).trim(), token);
  const { name, scope } = (await auth.verify(token))!;
  assert.deepEqual({ name, scope }, { name: "local", scope: "admin" });
  assert.equal(await auth.ensureLocalToken(dir), token);
  const local = (await auth.list()).find((row) => row.name === "local")!;
  await auth.revoke(local.id);
  const second = await auth.ensureLocalToken(dir);
  assert.notEqual(second, token);
  assert.ok(await auth.verify(second));
});

test("a local token file others can read counts as leaked: revoked and replaced", async (t) => {
  const { dir, auth } = await authority(t);
  const token = await auth.ensureLocalToken(dir);
  await chmod(join(dir, "token"), 0o644);
  const replaced = await auth.ensureLocalToken(dir);
  assert.notEqual(replaced, token);
  assert.equal(await auth.verify(token), undefined);
  assert.equal((await stat(join(dir, "token"))).mode & 0o777, 0o600);
});

test("over HTTP: expired, tampered, alg none, foreign-secret, revoked and malformed tokens get 401 with WWW-Authenticate", async (t) => {
  const api = await startApi(t);
  const secret = await loadOrCreateSecret(api.dir);
  const { info } = await api.auth.issue({ name: "victim", scope: "admin" });
  const sign = (claims: Record<string, unknown>, key: Uint8Array = secret) =>
    new SignJWT({ scope: "admin", ...claims }).setProtectedHeader({ alg: "HS256" }).setSubject("victim").setJti(info.id).setIssuedAt().sign(key);

  const expired = await new SignJWT({ scope: "admin" }).setProtectedHeader({ alg: "HS256" }).setSubject("victim").setJti(info.id).setIssuedAt(1).setExpirationTime(2).sign(secret);
  const good = await sign({});
  const [head, payload] = good.split(".");
  const tamperedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), scope: "admin", sub: "someone" })).toString("base64url");
  const tampered = `${head}.${tamperedPayload}.${good.split(".")[2]}`;
  const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
  const foreign = await sign({}, new Uint8Array(32).fill(7));
  const unknownJti = await new SignJWT({ scope: "admin" }).setProtectedHeader({ alg: "HS256" }).setSubject("victim").setJti("nope").sign(secret);
  const hs512 = await new SignJWT({ scope: "admin" }).setProtectedHeader({ alg: "HS512" }).setSubject("victim").setJti(info.id).sign(new Uint8Array(64).fill(1));

  assert.equal((await api.call("GET", "/pipelines", { as: { token: good } })).status, 200, "the untampered token works");
  const bad: Record<string, string> = { expired, tampered, none, foreign, unknownJti, hs512, garbage: "not.a.jwt", empty: "" };
  for (const [what, token] of Object.entries(bad)) {
    const response = await api.call("GET", "/pipelines", { as: { token } });
    assert.equal(response.status, 401, what);
    assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/, what);
    assert.equal((await errorOf(response)).code, "unauthorized", what);
  }
  const basic = await api.call("GET", "/pipelines", { as: null, headers: { authorization: "Basic dXNlcjpwYXNz" } });
  assert.equal(basic.status, 401);

  await api.auth.revoke(info.id);
  assert.equal((await api.call("GET", "/pipelines", { as: { token: good } })).status, 401, "revoked at once");
});

test("tokens over the API: create shows the token once, list never does, delete revokes; names are unique", async (t) => {
  const api = await startApi(t);
  const created = await api.call("POST", "/tokens", { body: { name: "ci", scope: "run", ttl: "30d" } });
  assert.equal(created.status, 201);
  const { token, info } = (await created.json()) as { token: string; info: { id: string; expires_at: string } };
  assert.ok(Date.parse(info.expires_at) > Date.now() + 29 * 86_400_000);
  assert.equal((await api.call("POST", "/runs/0000000000000000/cancel", { as: { token } })).status, 404, "a run token reaches run routes");
  const duplicate = await api.call("POST", "/tokens", { body: { name: "ci", scope: "read" } });
  assert.equal(duplicate.status, 409);
  assert.equal((await errorOf(duplicate)).code, "conflict");
  const listed = await (await api.call("GET", "/tokens")).text();
  assert.ok(!listed.includes(token), "the list never holds a token");
  assert.ok(listed.includes(info.id));
  assert.equal((await api.call("DELETE", `/tokens/${info.id}`)).status, 204);
  assert.equal((await api.call("GET", "/runs", { as: { token } })).status, 401);
  assert.equal((await api.call("DELETE", `/tokens/${info.id}`)).status, 404);
  const audit = (await (await api.call("GET", "/audit")).json()) as { entries: { action: string; actor: string }[] };
  assert.deepEqual(audit.entries.map((entry) => entry.action).filter((action) => action.startsWith("token.")), ["token.revoke", "token.create"]);
  assert.ok(audit.entries.every((entry) => entry.actor === "admin"));
});

test("a bad ttl or scope is a 400 naming the field", async (t) => {
  const api = await startApi(t);
  const response = await api.call("POST", "/tokens", { body: { name: "x", scope: "root", ttl: "forever" } });
  assert.equal(response.status, 400);
  const error = await errorOf(response);
  assert.ok((error.details as string[]).some((line) => line.startsWith("body.scope:")));
  assert.ok((error.details as string[]).some((line) => line.startsWith("body.ttl:")));
});
