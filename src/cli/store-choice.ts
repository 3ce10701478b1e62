/**
 * Which store an engine keeps its records in: SQLite in the data folder
 * (nothing to set up), or PostgreSQL when several engines share one
 * (`--store postgres://…` or SPIRE_STORE).
 *
 * What a user can get wrong is refused before anything connects:
 * - a URL that is not PostgreSQL's;
 * - a password on the command line, where every user of the machine reads
 *   it in `ps` (SPIRE_STORE, PGPASSWORD or ~/.pgpass keep it private);
 * - plain TCP to another machine: the database's password and every
 *   secret-free but private record would cross the network in clear, so
 *   TLS is asked for (`sslmode=require` or stricter) unless the user says
 *   the network is private already.
 */
import { CliError, EXIT } from "./errors.js";

export type StoreChoice = { kind: "sqlite" } | { kind: "postgres"; url: string; schema?: string };

const SECURE_SSL_MODES = new Set(["require", "verify-ca", "verify-full"]);

export function storeChoice(options: { store?: string; allowInsecureStore?: boolean }, env: Record<string, string | undefined> = process.env): StoreChoice {
  const fromFlag = options.store !== undefined;
  const given = (options.store ?? env.SPIRE_STORE ?? "").trim();
  if (given === "" || given === "sqlite") return { kind: "sqlite" };
  const name = fromFlag ? "--store" : "SPIRE_STORE";
  if (!/^postgres(ql)?:\/\//i.test(given)) {
    throw new CliError(`${name} is not a PostgreSQL URL`, EXIT.usage, "Write it as postgres://USER@HOST:5432/DATABASE (leave it out for SQLite in the data folder).");
  }
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new CliError(`${name} is not a URL PostgreSQL's driver can read`, EXIT.usage, "Write it as postgres://USER@HOST:5432/DATABASE; characters such as @ : / in the user name go percent-encoded.");
  }
  if (fromFlag && (url.password !== "" || url.searchParams.has("password"))) {
    throw new CliError(
      "--store holds a password: every user of this machine can read a command line (ps)",
      EXIT.usage,
      "Give the URL in SPIRE_STORE instead, or the password in PGPASSWORD or ~/.pgpass (mode 0600), and --store without it.",
    );
  }
  const schema = url.searchParams.get("schema") ?? undefined;
  url.searchParams.delete("schema");
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new CliError(`${name}: schema=${JSON.stringify(schema)} is not a plain schema name`, EXIT.usage, "Use lower-case letters, digits and _ (starting with a letter or _), at most 63 characters.");
  }
  const host = (url.searchParams.get("host") ?? url.hostname).replace(/^\[(.*)\]$/, "$1");
  const sslMode = url.searchParams.get("sslmode") ?? env.PGSSLMODE;
  const local = host === "" || host.startsWith("/") || host === "localhost" || host === "::1" || /^127\./.test(host);
  if (!local && !SECURE_SSL_MODES.has(sslMode ?? "") && options.allowInsecureStore !== true) {
    throw new CliError(
      `${name} reaches PostgreSQL at ${host} without TLS: its password and Spire's records would cross the network in clear`,
      EXIT.usage,
      "Add ?sslmode=verify-full (or sslmode=require) to the URL; or, on a network that is private and encrypted already (Tailscale, WireGuard, an SSH tunnel), pass --allow-insecure-store.",
    );
  }
  return { kind: "postgres", url: url.toString(), ...(schema !== undefined ? { schema } : {}) };
}
