/**
 * `webhook:` — the payload POSTed as JSON with Node's own fetch. A 2xx
 * delivers; a network error, a timeout, a 5xx or a 429 is worth another
 * attempt; any other answer (a 4xx: wrong URL, refused) is final.
 */
import type { NotifyDef } from "../definitions/schema.js";
import { VERSION } from "../version.js";
import { DeliveryError, describe, maskedUrl, type Channel } from "./channel.js";
import type { Payload } from "./message.js";

export interface WebhookDefaults {
  timeoutMs: number;
  retries: number;
}

export class WebhookChannel implements Channel {
  readonly kind = "webhook";
  readonly target: string;
  readonly retries: number;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(definition: NonNullable<NotifyDef["webhook"]>, defaults: WebhookDefaults) {
    const options = typeof definition === "string" ? { url: definition } : definition;
    this.url = options.url;
    this.target = maskedUrl(options.url);
    this.headers = options.headers ?? {};
    this.timeoutMs = options.timeout ?? defaults.timeoutMs;
    this.retries = options.retries ?? defaults.retries;
  }

  async send(payload: Payload, signal: AbortSignal): Promise<number> {
    const request = requestOf(this.url);
    if (!request) throw new DeliveryError(`${this.target} is not an http:// or https:// URL`, false);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: "POST",
        headers: { "user-agent": `spire/${VERSION}`, ...request.headers, ...this.headers, "content-type": "application/json" },
        body: JSON.stringify(payload),
        // A redirected POST would turn into a GET elsewhere: the definition should name the final URL.
        redirect: "manual",
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (timeout.aborted) throw new DeliveryError(`no answer within ${this.timeoutMs} ms`, true);
      // Nothing recorded may show the URL as written: it can hold credentials.
      throw new DeliveryError(describe(error).replaceAll(this.url, this.target).replaceAll(request.url, this.target), true);
    }
    // The body is not needed; reading it ends the exchange so that the connection can be reused.
    const body = await response.text().catch(() => "");
    const { status } = response;
    if (status >= 200 && status < 300) return status;
    // On one line: it ends up in a log line and on the stderr of spire run (an error page's HTML spans many).
    const said = body.replace(/\s+/g, " ").trim().slice(0, 200);
    const message = `answered ${status}${said ? `: ${said}` : ""}`;
    if (status >= 300 && status < 400) throw new DeliveryError(`${message} (a redirect: put the final URL in the definition)`, false, status);
    throw new DeliveryError(message, status >= 500 || status === 429, status);
  }
}

/**
 * The URL fetch is given, and the headers it implies: fetch refuses a URL
 * with credentials in it, so `user:password@` becomes Basic authorization
 * (as curl does); a header in the definition still wins.
 */
function requestOf(text: string): { url: string; headers: Record<string, string> } | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (!url.username && !url.password) return { url: url.toString(), headers: {} };
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = "";
  url.password = "";
  return { url: url.toString(), headers: { authorization: `Basic ${Buffer.from(credentials).toString("base64")}` } };
}
