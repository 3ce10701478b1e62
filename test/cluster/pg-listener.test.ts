/** The LISTEN connection on a network that drops everything for a while (through the tests' TCP proxy). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Listener } from "../../src/cluster/pg-listener.js";
import { adminPool, POSTGRES_URL } from "../helpers/postgres.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

async function until(check: () => boolean, what: string, withinMs = 5000, meanwhile?: () => Promise<unknown>): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await meanwhile?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("a listener whose connection goes silent finds out by its check, keeps trying while new connections go unanswered, and listens again once the network is back", async (t) => {
  const admin = await adminPool();
  const proxy = await startTcpProxy();
  const problems: string[] = [];
  const listener = new Listener({ connectionString: proxy.through(POSTGRES_URL), checkEveryMs: 200, answerDeadlineMs: 500, onProblem: (message) => problems.push(message) });
  t.after(async () => {
    await listener.stop();
    await proxy.close();
  });
  await listener.start();
  const channel = `spire_test_${randomBytes(4).toString("hex")}`;
  const heard: string[] = [];
  let reconnections = 0;
  listener.on(channel, (payload) => heard.push(payload), () => reconnections++);
  // Said until heard: the LISTEN goes out in the background.
  const say = (payload: string) => () => admin.query("SELECT pg_notify($1, $2)", [channel, payload]);
  await until(() => heard.includes("before"), "heard before the silence", 5000, say("before"));

  proxy.blackhole(true);
  await until(() => problems.some((problem) => /no answer to a check/.test(problem)), "the silent connection found out");
  // Tries made in the silence go unanswered too, and are given up on at their deadline rather than waited on for good.
  await until(() => problems.filter((problem) => /timeout/i.test(problem)).length >= 1, "a new connection given up on", 5000);
  proxy.blackhole(false);
  await until(() => reconnections >= 1, "listening again", 10_000);
  await until(() => heard.includes("after"), "heard after the silence", 5000, say("after"));
  assert.equal(reconnections, 1, "its subscribers were told once that they may have missed something");
});
