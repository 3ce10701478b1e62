/**
 * One delivery through one channel: attempts with exponential backoff while
 * the error is worth retrying, until the channel's retries are used up or
 * the engine stops (the signal).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { DeliveryError, describe, type Channel } from "./channel.js";
import type { Payload } from "./message.js";

export interface Backoff {
  /** Wait before the second attempt; doubled for each one after. */
  firstMs: number;
  maxMs: number;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** The last answer: an HTTP status, "puback", "exit 3"; null when nothing answered. */
  status: string | number | null;
  error: string | null;
}

export async function deliver(channel: Channel, payload: Payload, backoff: Backoff, signal: AbortSignal): Promise<DeliveryResult> {
  let attempts = 0;
  for (;;) {
    if (signal.aborted) return { ok: false, attempts, status: null, error: "abandoned when the engine stopped" };
    attempts++;
    try {
      const status = await channel.send(payload, signal);
      return { ok: true, attempts, status, error: null };
    } catch (thrown) {
      const error = thrown instanceof DeliveryError ? thrown : new DeliveryError(describe(thrown), true);
      const last = { ok: false, attempts, status: error.status, error: error.message };
      if (signal.aborted) return { ...last, error: `abandoned when the engine stopped (${error.message})` };
      if (!error.retryable || attempts > channel.retries) return last;
      const delay = Math.min(backoff.maxMs, backoff.firstMs * 2 ** (attempts - 1));
      const waited = await sleep(delay, true, { signal }).catch(() => false);
      if (!waited) return { ...last, error: `abandoned when the engine stopped (${error.message})` };
    }
  }
}
