/**
 * `mqtt:` — the payload published to a topic with the `mqtt` package. One
 * connection per delivery: notifications are rare, and nothing is left open
 * when the engine stops. With QoS 1 or 2 it is delivered once the broker
 * acknowledged it. Any failure (refused, unreachable, no acknowledgement in
 * time) is worth another attempt.
 */
import { randomBytes } from "node:crypto";
import type { NotifyDef } from "../definitions/schema.js";
import { DeliveryError, describe, maskedUrl, type Channel } from "./channel.js";
import type { Payload } from "./message.js";

export interface MqttDefaults {
  timeoutMs: number;
  retries: number;
}

const SCHEMES = /^(mqtts?|wss?|tcp|ssl):\/\//i;

export class MqttChannel implements Channel {
  readonly kind = "mqtt";
  readonly target: string;
  readonly retries: number;

  constructor(
    private readonly definition: NonNullable<NotifyDef["mqtt"]>,
    private readonly defaults: MqttDefaults,
  ) {
    this.target = `${maskedUrl(definition.url)} topic ${definition.topic}`;
    this.retries = defaults.retries;
  }

  async send(payload: Payload, signal: AbortSignal): Promise<string> {
    const { url, topic, qos } = this.definition;
    if (!SCHEMES.test(url)) throw new DeliveryError(`${maskedUrl(url)} is not an mqtt://, mqtts://, ws:// or wss:// URL`, false);
    // Loaded here: an engine whose pipelines never use MQTT does not pay for the module.
    const { connect } = await import("mqtt");
    const client = connect(url, {
      clientId: `spire-${randomBytes(6).toString("hex")}`,
      connectTimeout: this.defaults.timeoutMs,
      // One attempt per call: deliver.ts decides when to try again.
      reconnectPeriod: 0,
    });
    let reject!: (error: Error) => void;
    const failed = new Promise<never>((_, rejectWith) => (reject = rejectWith));
    failed.catch(() => {}); // raced below; a rejection after the race is over is expected
    const timer = setTimeout(() => reject(new Error(`no acknowledgement within ${this.defaults.timeoutMs} ms`)), this.defaults.timeoutMs);
    const abort = () => reject(new Error("the engine stopped"));
    signal.addEventListener("abort", abort, { once: true });
    const closed = () => reject(new Error("the broker closed the connection"));
    client.on("error", reject);
    client.on("close", closed);
    try {
      await Promise.race([new Promise((resolve) => client.once("connect", resolve)), failed]);
      await Promise.race([client.publishAsync(topic, JSON.stringify(payload), { qos, retain: false }), failed]);
      return qos === 0 ? "sent" : "acknowledged";
    } catch (error) {
      throw new DeliveryError(describe(error), true);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
      client.off("close", closed);
      client.off("error", reject);
      client.on("error", () => {}); // late errors of a closing connection are nobody's business
      await client.endAsync(true).catch(() => {});
    }
  }
}
