/** The local MQTT broker the MQTT tests publish through: Mosquitto on 127.0.0.1:1883. */
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { connect as connectTcp } from "node:net";

export const BROKER = "mqtt://127.0.0.1:1883";

/** The local Mosquitto, started when it is installed but down (.ci/run does the same); false (test skipped) when it is not installed. */
export async function brokerUp(t: TestContext): Promise<boolean> {
  if (await listening(1883)) return true;
  const installed = spawnSync("sh", ["-c", "command -v mosquitto"]).status === 0;
  if (!installed) {
    t.skip("mosquitto is not installed (apt-get install mosquitto)");
    return false;
  }
  // A daemon that outlives this test file: it must not carry the marker the leak check looks for.
  const { SPIRE_TEST_SESSION: _marker, ...env } = process.env;
  spawnSync("mosquitto", ["-d", "-c", "/etc/mosquitto/mosquitto.conf"], { env, stdio: "ignore" });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) if (await listening(1883)) return true;
  assert.fail("mosquitto did not start: see /var/log/mosquitto/mosquitto.log");
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, "127.0.0.1");
    socket.once("connect", () => resolve(!!socket.end()));
    socket.once("error", () => setTimeout(() => resolve(false), 50));
  });
}
