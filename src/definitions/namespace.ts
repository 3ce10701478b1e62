/**
 * A definitions file without `namespace:` gets a stable default: a digest of
 * where it comes from (host, user, absolute path), so the same file applied
 * from the same place always lands in the same namespace, and two files
 * never share one by accident.
 */
import { createHash } from "node:crypto";
import { hostname, userInfo } from "node:os";

export interface Origin {
  host: string;
  user: string;
  path: string;
}

/** 12 hex digits of sha256(host \n user \n absPath): short, and a valid name (NAME_PATTERN). */
export function defaultNamespace(host: string, user: string, absPath: string): string {
  return createHash("sha256").update(`${host}\n${user}\n${absPath}`).digest("hex").slice(0, 12);
}

/** Where a file is applied from: this machine, this user, the file's absolute path. */
export function originOf(absPath: string): Origin {
  return { host: hostname(), user: currentUser(), path: absPath };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the environment says.
    return process.env["USER"] ?? process.env["LOGNAME"] ?? String(process.getuid?.() ?? "unknown");
  }
}
