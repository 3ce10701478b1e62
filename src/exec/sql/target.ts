/**
 * What an `sql:` task's URL names: which database speaks (by its scheme),
 * how it is shown (the password replaced by ***) and, for SQLite, the file.
 * Pure.
 */
import type { Dialect } from "./statements.js";

export interface SqlTarget {
  dialect: Dialect;
  /** The URL as logs and errors show it: never with its password. */
  display: string;
  /** The password written in the URL, if any (decoded): masked like a secret wherever the task's output goes. */
  password?: string;
  /** SQLite: the database file, as written after `sqlite:`. */
  sqlitePath?: string;
}

/** The schemes an `sql:` URL may start with, and who speaks each. */
export const SQL_SCHEMES: Record<string, Dialect> = {
  "postgres:": "postgres",
  "postgresql:": "postgres",
  "mysql:": "mysql",
  "mariadb:": "mysql",
  "sqlite:": "sqlite",
};

export const SQL_SCHEME_LIST = "postgres://, postgresql://, mysql://, mariadb:// or sqlite:PATH";

/** The dialect a URL's scheme names, or undefined for a scheme Spire does not speak. */
export function dialectOf(url: string): Dialect | undefined {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)?.[0].toLowerCase();
  return scheme === undefined ? undefined : SQL_SCHEMES[scheme];
}

export function parseTarget(url: string): SqlTarget | { error: string } {
  const dialect = dialectOf(url);
  if (dialect === undefined) return { error: `the URL ${JSON.stringify(hidePassword(url))} does not start with ${SQL_SCHEME_LIST}` };
  if (dialect === "sqlite") {
    const path = url.slice(url.indexOf(":") + 1).replace(/^\/\/(?=\/)/, "");
    return path === "" ? { error: "sqlite: needs a file: sqlite:PATH (relative to the definitions file's folder), or sqlite::memory:" } : { dialect, display: url, sqlitePath: path };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { error: `the URL ${JSON.stringify(hidePassword(url))} is not a valid URL (a password with special characters must be percent-encoded)` };
  }
  const password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  return { dialect, display: hidePassword(url), ...(password !== undefined ? { password } : {}) };
}

/** `scheme://user:secret@host` → `scheme://user:***@host`. */
export function hidePassword(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@]*):[^@]*@/, "$1:***@");
}
