/** examples/mqtt-ticker.yaml on an engine: about 20 messages a second reach a subscriber, each a slot's time, each slot once. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { until } from "../helpers/poll.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { editedRecipe } from "../helpers/recipe.js";
import { BROKER, brokerUp } from "../helpers/mqtt-broker.js";

checkNoLeftoverProcesses();

test("the MQTT ticker publishes every 50 ms: a generous share of 20 a second arrives, one per slot", async (t) => {
  if (!(await brokerUp(t))) return;
  if (spawnSync("sh", ["-c", "command -v mosquitto_pub"]).status !== 0) return void t.skip("mosquitto_pub is not installed (apt-get install mosquitto-clients)");
  const topic = `spire-test/${randomBytes(4).toString("hex")}/tick`;
  const subscriber = await connectAsync(BROKER, { reconnectPeriod: 0 });
  t.after(() => subscriber.endAsync(true));
  const messages: { at: number; payload: string }[] = [];
  subscriber.on("message", (_topic, payload) => messages.push({ at: Date.now(), payload: payload.toString("utf8") }));
  await subscriber.subscribeAsync(topic, { qos: 0 });

  const data = join(tempDir(t), "data");
  const engine = await startEngine(t, data, ["-f", editedRecipe(t, "mqtt-ticker.yaml", { "TOPIC: spire/tick": `TOPIC: ${topic}` })]);
  await until(() => messages.length > 0, "the first message", 15_000);
  const from = messages[0]!.at;
  // Two seconds of ticks: there is nothing to wait for but the clock.
  await until(() => Date.now() - from >= 2_000, "two seconds of ticks", 5_000);
  const window = messages.filter((message) => message.at - from < 2_000);
  await stopEngine(engine);

  // 40 are due in two seconds; a loaded machine skips some (queue limit 0), and that is the recipe's choice.
  assert.ok(window.length >= 12, `only ${window.length} messages in 2 s`);
  for (const { payload } of window) assert.match(payload, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const slots = window.map(({ payload }) => Date.parse(payload));
  assert.equal(new Set(slots).size, slots.length, "each slot published once");
  for (const slot of slots) assert.equal(slot % 50, slots[0]! % 50, "slots 50 ms apart");
});
