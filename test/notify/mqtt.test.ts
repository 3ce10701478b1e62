/** `notify: mqtt` through the local Mosquitto: a subscriber gets the payload with QoS 1; an unreachable broker is retried, then recorded as failed. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connectAsync, type IPublishPacket } from "mqtt";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { startApi } from "../api/harness.js";
import { BROKER, brokerUp } from "../helpers/mqtt-broker.js";
import { freePort, recorded, runToEnd } from "./helpers.js";

checkNoLeftoverProcesses();

test("a run's notification reaches a subscriber of the topic, with QoS 1", async (t) => {
  if (!(await brokerUp(t))) return;
  const topic = `spire-test/${randomBytes(4).toString("hex")}`;
  const subscriber = await connectAsync(BROKER, { reconnectPeriod: 0 });
  t.after(() => subscriber.endAsync(true));
  const messages: { payload: string; qos: number }[] = [];
  subscriber.on("message", (_topic, payload, packet: IPublishPacket) => messages.push({ payload: payload.toString("utf8"), qos: packet.qos }));
  await subscriber.subscribeAsync(topic, { qos: 1 });

  const api = await startApi(t, { notify: { backoffFirstMs: 20 } });
  await api.apply(`
pipelines:
  backup:
    notify: [{ on: [success], mqtt: { url: "${BROKER}", topic: "${topic}" } }]
    tasks:
      dump: { run: "echo done" }
`);
  const run = await runToEnd(api, "backup");
  const [event] = await recorded(api, run.id, "notify.delivered");
  await until(() => messages.length > 0, "the MQTT message", 5000);

  assert.equal(messages.length, 1);
  assert.equal(messages[0]!.qos, 1);
  const body = JSON.parse(messages[0]!.payload) as { event: string; text: string; run: { id: string; state: string; tasks: { name: string }[] } };
  assert.equal(body.event, "success");
  assert.equal(body.run.id, run.id);
  assert.equal(body.run.state, "succeeded");
  assert.deepEqual(body.run.tasks.map((task) => task.name), ["dump"]);
  assert.match(body.text, /^test\/backup succeeded on .* after .* — run /);
  assert.deepEqual(event!.data, { channel: "mqtt", target: `${BROKER} topic ${topic}`, event: "success", attempts: 1, status: "acknowledged", error: null });
});

test("a broker that cannot be reached: retried, then notify.failed with the reason; the run keeps its result", async (t) => {
  const port = await freePort();
  const api = await startApi(t, { notify: { backoffFirstMs: 20, retries: 2 } });
  await api.apply(`
pipelines:
  backup:
    notify: [{ on: [success], mqtt: { url: "mqtt://spire:hunter22@127.0.0.1:${port}", topic: t } }]
    tasks:
      dump: { run: "true" }
`);
  const run = await runToEnd(api, "backup");
  const [event] = await recorded(api, run.id, "notify.failed");
  assert.equal(event!.data.target, `mqtt://spire:***@127.0.0.1:${port} topic t`);
  assert.equal(event!.data.attempts, 3);
  assert.match(String(event!.data.error), /ECONNREFUSED/);
  assert.equal((await api.engine.getRun(run.id)).state, "succeeded");
  assert.ok(!JSON.stringify(await api.store.listEvents(run.id, 0, 100)).includes("hunter22"));
});
