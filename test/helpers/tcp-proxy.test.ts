/** The chaos tests' TCP proxy, against the real PostgreSQL: it forwards, cuts, slows down and drops silently. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type AddressInfo } from "node:net";
import pg from "pg";
import { adminPool, POSTGRES_URL } from "./postgres.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

async function clientThrough(proxy: TcpProxy, settings: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: proxy.through(POSTGRES_URL), ...settings });
  await client.connect();
  return client;
}

/** How long `SELECT 1` takes on `client`, in ms. */
async function roundTrip(client: pg.Client): Promise<number> {
  const started = performance.now();
  await client.query("SELECT 1");
  return performance.now() - started;
}

test("the proxy forwards to PostgreSQL; cut() ends a connection under a client, which sees an error, and a new one works", async (t) => {
  await adminPool(); // says how to start PostgreSQL when it does not answer
  const proxy = await startTcpProxy();
  t.after(() => proxy.close());
  const client = await clientThrough(proxy);
  const heard = new Promise<Error>((resolve) => client.on("error", resolve));
  assert.equal((await client.query<{ answer: number }>("SELECT 41 + 1 AS answer")).rows[0]!.answer, 42);
  assert.equal(proxy.open, 1);
  // A query under way when the link is cut fails, and so does the connection.
  const pending = client.query("SELECT pg_sleep(5)");
  await new Promise((resolve) => setTimeout(resolve, 100));
  proxy.cut();
  await assert.rejects(pending, /Connection terminated|ECONNRESET|read ECONNRESET/);
  assert.match((await heard).message, /Connection terminated|ECONNRESET/);
  assert.equal(proxy.open, 0);
  await client.end().catch(() => {});
  const again = await clientThrough(proxy);
  assert.equal((await again.query("SELECT 1 AS one")).rows[0].one, 1);
  await again.end();
});

test("delay(ms) holds each direction for ms; 0 forwards at once again", async (t) => {
  const proxy = await startTcpProxy();
  t.after(() => proxy.close());
  const client = await clientThrough(proxy);
  t.after(() => client.end().catch(() => {}));
  const quick = await roundTrip(client);
  proxy.delay(300);
  const slow = await roundTrip(client);
  assert.ok(slow >= 600 && slow < 600 + 1000, `a round trip took ${Math.round(slow)} ms with 300 ms each way (${Math.round(quick)} ms without)`);
  proxy.delay(0);
  assert.ok((await roundTrip(client)) < 300, "no delay once set back to 0");
});

test("chunks held by a delay keep their order when the delay shrinks", async (t) => {
  // An echo server: what comes back is what got through, in the order it did.
  const echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: (echo.address() as AddressInfo).port });
  const socket = connect(proxy.port, "127.0.0.1");
  t.after(async () => {
    socket.destroy();
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });
  await new Promise((resolve) => socket.once("connect", resolve));
  let heard = "";
  socket.setEncoding("utf8").on("data", (text: string) => (heard += text));
  proxy.delay(400);
  socket.write("first ");
  await new Promise((resolve) => setTimeout(resolve, 50));
  proxy.delay(0);
  socket.write("second");
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(heard, "", "nothing overtook the held chunk");
  const deadline = performance.now() + 2000;
  while (heard.length < "first second".length && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(heard, "first second");
});

test("blackhole(true) drops everything without a word, new connections too; lifted, new connections work and the old one stays dead", async (t) => {
  const proxy = await startTcpProxy();
  t.after(() => proxy.close());
  const client = await clientThrough(proxy, { query_timeout: 700 });
  client.on("error", () => {});
  proxy.blackhole(true);
  // No error, no close: only a deadline of the client's own finds out.
  await assert.rejects(client.query("SELECT 1"), /Query read timeout/);
  // A new connection is accepted (the TCP handshake is the proxy's) and then hears nothing.
  const socket = connect(proxy.port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.destroy();
  const late = new pg.Client({ connectionString: proxy.through(POSTGRES_URL), connectionTimeoutMillis: 700 });
  late.on("error", () => {});
  await assert.rejects(late.connect(), /timeout/i);
  proxy.blackhole(false);
  const fresh = await clientThrough(proxy);
  assert.equal((await fresh.query("SELECT 1 AS one")).rows[0].one, 1);
  await fresh.end();
  // The connection that lived through it lost bytes: it stays silent.
  await assert.rejects(client.query("SELECT 1"), /Query read timeout/);
  await client.end().catch(() => {});
});
