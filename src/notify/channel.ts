/**
 * One way a notification leaves the engine (webhook, mqtt, run). A channel
 * makes one attempt per call; retries and backoff are decided in deliver.ts,
 * the same for all of them.
 */
import type { Payload } from "./message.js";

export type ChannelKind = "webhook" | "mqtt" | "run";

export interface Channel {
  readonly kind: ChannelKind;
  /** Where it goes, safe to record: no credentials in it. */
  readonly target: string;
  /** Attempts after the first one, on an error worth retrying. */
  readonly retries: number;
  /** One attempt; resolves with a short status (an HTTP status, "puback", "exit 0"), or throws a DeliveryError. */
  send(payload: Payload, signal: AbortSignal): Promise<string | number>;
}

/** An attempt that did not deliver: `retryable` when trying again may help (a network error, a 5xx, a 429). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: string | number | null = null,
  ) {
    super(message);
  }
}

/**
 * A URL as it may be recorded: the password and the query (where tokens
 * often travel) become ***. A URL that does not parse is not shown at all.
 */
export function maskedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "(not a URL)";
  }
  if (url.password) url.password = "***";
  if (url.search) url.search = "?***";
  url.hash = "";
  return url.toString();
}

/** The message of anything thrown, with the cause a fetch error hides its reason in ("fetch failed": ECONNREFUSED). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ((error.cause as NodeJS.ErrnoException).code ?? error.cause.message) : undefined;
  return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
}
