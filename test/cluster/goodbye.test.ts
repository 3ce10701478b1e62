/**
 * Closing PostgreSQL connections that went silent (src/store/postgres/
 * goodbye.ts), through a real proxy to the real server: node-postgres
 * waits for the other end's close, which such a connection never sends.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { endClient, endPool, GOODBYE_MS } from "../../src/store/postgres/goodbye.js";
import { POSTGRES_URL } from "../helpers/postgres.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

test("a pool or client whose connection went silent is closed within the goodbye's deadline, where ending it alone waits on or leaves it open", async (t) => {
  const proxy = await startTcpProxy();
  t.after(() => proxy.close());
  const url = proxy.through(POSTGRES_URL);
  const plainPool = new pg.Pool({ connectionString: url, max: 1 });
  const plainClient = new pg.Client({ connectionString: url });
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const client = new pg.Client({ connectionString: url });
  for (const each of [plainClient, client]) each.on("error", () => {});
  for (const each of [plainPool, pool]) each.on("error", () => {});
  await Promise.all([plainPool.query("SELECT 1"), pool.query("SELECT 1"), plainClient.connect(), client.connect()]);
  const socketOf = (holder: unknown) => (holder as { connection: { stream: { destroyed: boolean } } }).connection.stream;
  const plainPoolClient = (plainPool as unknown as { _clients: unknown[] })._clients[0];
  proxy.freeze();

  // What node-postgres does alone: the client's end() waits on; the pool's returns, its socket left open.
  const plainEnd = await Promise.race([plainClient.end().then(() => "ended"), sleep(GOODBYE_MS + 500).then(() => "still waiting")]);
  assert.equal(plainEnd, "still waiting");
  await plainPool.end();
  assert.equal(socketOf(plainPoolClient).destroyed, false);

  const poolClient = (pool as unknown as { _clients: unknown[] })._clients[0];
  const started = performance.now();
  await Promise.all([endPool(pool), endClient(client)]);
  const tookMs = performance.now() - started;
  assert.ok(tookMs >= GOODBYE_MS - 50 && tookMs < GOODBYE_MS + 1500, `closed in ${tookMs.toFixed(0)} ms`);
  assert.equal(socketOf(client).destroyed, true);
  assert.equal(socketOf(poolClient).destroyed, true);
  // The plain ones too, so that nothing is left open.
  (socketOf(plainClient) as unknown as { destroy(): void }).destroy();
  (socketOf(plainPoolClient) as unknown as { destroy(): void }).destroy();
});

test("a pool whose statement awaits an answer over a silent connection is closed within the goodbye's deadline, where its end() waits for the answer", async (t) => {
  const proxy = await startTcpProxy();
  t.after(() => proxy.close());
  const url = proxy.through(POSTGRES_URL);
  const plainPool = new pg.Pool({ connectionString: url, max: 1 });
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  for (const each of [plainPool, pool]) each.on("error", () => {});
  await Promise.all([plainPool.query("SELECT 1"), pool.query("SELECT 1")]);
  const socketOf = (holder: pg.Pool) => (holder as unknown as { _clients: { connection: { stream: { destroyed: boolean; destroy(): void } } }[] })._clients[0]!.connection.stream;
  const plainSocket = socketOf(plainPool);
  const socket = socketOf(pool);
  proxy.freeze();
  // Each statement checks its pool's one connection out, and its answer never comes.
  const checkedOut = Promise.all([once(plainPool, "acquire"), once(pool, "acquire")]);
  const plainAsked = plainPool.query("SELECT 1").catch((error: Error) => error);
  const asked = pool.query("SELECT 1").catch((error: Error) => error);
  await checkedOut;

  const plainEnd = await Promise.race([plainPool.end().then(() => "ended"), sleep(GOODBYE_MS + 500).then(() => "still waiting")]);
  assert.equal(plainEnd, "still waiting");

  const started = performance.now();
  // Bounded here too: an endPool that waited for the answer would wait for good.
  const closed = await Promise.race([endPool(pool).then(() => true), sleep(GOODBYE_MS + 1500).then(() => false)]);
  const tookMs = performance.now() - started;
  assert.ok(closed && tookMs >= GOODBYE_MS - 50, `closed in ${tookMs.toFixed(0)} ms`);
  assert.equal(socket.destroyed, true);
  assert.match(String(await asked), /Connection terminated/, "the statement failed, so its connection came back");
  // The plain one too, so that nothing is left open.
  plainSocket.destroy();
  assert.match(String(await plainAsked), /Connection terminated/);
});

test("a connection that answers is ended at once, as before", async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await pool.query("SELECT 1");
  const started = performance.now();
  await endPool(pool);
  assert.ok(performance.now() - started < GOODBYE_MS / 2, "ended without waiting for the deadline");
  assert.equal(pool.ended, true);
});
