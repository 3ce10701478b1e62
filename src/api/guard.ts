/**
 * Defences that do not depend on the route: Host and Origin checks against
 * DNS rebinding (a web page on another site that resolves its own name to
 * 127.0.0.1 reaches the engine with a foreign Host), and security headers.
 */
import { networkInterfaces } from "node:os";

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

const hostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/** Every `host:port` a legitimate client may send in Host, in lower case. */
export function allowedHostSet(listenHost: string, port: number, extra: readonly string[] = []): Set<string> {
  const hosts = new Set([hostPort("localhost", port), hostPort("127.0.0.1", port), hostPort("::1", port)]);
  if (WILDCARDS.has(listenHost)) {
    // Listening on every interface: the machine's own addresses are its names.
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) hosts.add(hostPort(address.address.split("%")[0]!, port));
    }
  } else {
    hosts.add(hostPort(listenHost, port));
  }
  for (const entry of extra) {
    const name = entry.toLowerCase();
    hosts.add(name);
    // A name given without a port means this server's port.
    if (!/:\d+$/.test(name) || (name.startsWith("[") && name.endsWith("]"))) hosts.add(hostPort(name.replace(/^\[|\]$/g, ""), port));
  }
  return new Set([...hosts].map((host) => host.toLowerCase()));
}

/** Why a request is refused, or undefined when its Host and Origin are acceptable. */
export function hostProblem(allowed: Set<string>, host: string | undefined, origin: string | undefined): string | undefined {
  // As sent first: a client's Host is nearly always in lower case already.
  if (!host || !(allowed.has(host) || allowed.has(host.toLowerCase()))) {
    return `host ${JSON.stringify(host ?? "")} is not allowed: use the engine's address${host ? `, or start the engine with --allow-host ${hintName(host)}` : ""}`;
  }
  if (origin === undefined) return undefined;
  const match = /^https?:\/\/([^/]+)$/i.exec(origin);
  if (!match || !allowed.has(match[1]!.toLowerCase())) {
    return `origin ${JSON.stringify(origin)} is not allowed${match ? `: if that page is yours, start the engine with --allow-host ${hintName(match[1]!)}` : ""}`;
  }
  return undefined;
}

/** A name or IP with an optional port, as a client puts it in Host: `localhost:8080`, `box.tail1234.ts.net`, `[fd7a::1]:7431`. */
export const HOST_NAME_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,252}|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The name as `--allow-host` takes it; anything that option would refuse is shown as NAME, never echoed into a command. */
function hintName(host: string): string {
  return HOST_NAME_PATTERN.test(host) ? host : "NAME";
}

/**
 * A new object with the security headers at each call. An object literal:
 * every copy has the same hidden class, and so do copies with the same
 * headers added after (a copy made with spread got a class of its own, and
 * each header added to it a new one: 14 % more instructions per request).
 */
export function securityHeaders(): Record<string, string> {
  return {
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "cross-origin-resource-policy": "same-origin",
  };
}

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(securityHeaders());
