/** `spire token create|list|revoke` and `spire audit`, through the engine (admin scope). */
import pc from "picocolors";
import type { TokenInfo } from "../../engine/service.js";
import { parseDurationMs } from "../../spec/units.js";
import { CliError, EXIT } from "../errors.js";
import { requireEngine } from "../client.js";
import { table } from "../render/table.js";

type Remote = { data?: string; engine?: string; json?: boolean };

export async function tokenCreateCommand(options: Remote & { scope: string; ttl?: string; name?: string }): Promise<void> {
  if (!["read", "run", "admin"].includes(options.scope)) throw new CliError(`--scope must be read, run or admin, not ${JSON.stringify(options.scope)}`, EXIT.usage);
  let ttlMs: number | undefined;
  if (options.ttl !== undefined) {
    ttlMs = parseDurationMs(options.ttl);
    if (ttlMs === undefined || ttlMs <= 0) throw new CliError(`--ttl ${JSON.stringify(options.ttl)} is not a duration`, EXIT.usage, "For example: --ttl 30d");
  }
  const client = await requireEngine(options);
  const name = options.name ?? `${options.scope}-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 6)}`;
  const created = await client.call<{ token: string }>("POST", "/tokens", { name, scope: options.scope, ...(ttlMs !== undefined ? { ttl: `${Math.round(ttlMs / 1000)}s` } : {}) });
  // Only the token, so that `TOKEN=$(spire token create)` works.
  process.stdout.write(`${created.token}\n`);
}

export async function tokenListCommand(options: Remote): Promise<void> {
  const client = await requireEngine(options);
  const { tokens } = await client.call<{ tokens: TokenInfo[] }>("GET", "/tokens");
  if (options.json) return void process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
  process.stdout.write(
    table(
      ["ID", "NAME", "SCOPE", "CREATED", "EXPIRES", "STATE"],
      tokens.map((t) => [t.id, t.name, t.scope, t.created_at, t.expires_at ?? "never", t.revoked_at ? pc.red("revoked") : t.expires_at && Date.parse(t.expires_at) < Date.now() ? pc.yellow("expired") : pc.green("active")]),
    ),
  );
}

export async function tokenRevokeCommand(id: string, options: Remote): Promise<void> {
  const client = await requireEngine(options);
  await client.call("DELETE", `/tokens/${encodeURIComponent(id)}`);
  process.stdout.write(`${pc.green("✓")} token ${id} revoked\n`);
}

export async function auditCommand(options: Remote & { limit: string }): Promise<void> {
  const client = await requireEngine(options);
  const { entries } = await client.call<{ entries: { seq: number; ts: string; actor: string; action: string; target: string; details: object }[] }>("GET", `/audit?limit=${encodeURIComponent(options.limit)}`);
  if (options.json) return void process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  if (entries.length === 0) return void process.stdout.write(pc.dim("nothing recorded yet\n"));
  process.stdout.write(table(["WHEN", "WHO", "WHAT", "TARGET", "DETAILS"], entries.map((e) => [e.ts, e.actor, e.action, e.target, JSON.stringify(e.details)])));
}
