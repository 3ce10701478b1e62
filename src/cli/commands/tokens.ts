/** `spire token create|list|revoke` and `spire audit` (admin scope on an engine; the data folder's owner without one). */
import pc from "picocolors";
import { parseDurationMs } from "../../definitions/units.js";
import { SCOPES, type Scope } from "../../engine/service.js";
import { CliError, EXIT } from "../errors.js";
import { withClient, type Target } from "../connect.js";
import { clock } from "../render/format.js";
import { table } from "../render/table.js";

type Options = Target & { json?: boolean };

export async function tokenCreateCommand(options: Options & { scope: string; ttl?: string; name?: string }): Promise<void> {
  const scope = options.scope;
  if (!isScope(scope)) throw new CliError(`--scope must be read, run, admin or worker, not ${JSON.stringify(options.scope)}`, EXIT.usage);
  let ttlMs: number | undefined;
  if (options.ttl !== undefined) {
    ttlMs = parseDurationMs(options.ttl);
    if (ttlMs === undefined || ttlMs <= 0) throw new CliError(`--ttl ${JSON.stringify(options.ttl)} is not a duration`, EXIT.usage, "For example: --ttl 30d");
  }
  const name = options.name ?? `${scope}-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 6)}`;
  const created = await withClient(options, (client) => client.createToken({ name, scope, ...(ttlMs !== undefined ? { ttlMs } : {}) }));
  // Only the token, so that `TOKEN=$(spire token create)` works.
  process.stdout.write(`${created.token}\n`);
}

export async function tokenListCommand(options: Options): Promise<void> {
  const tokens = await withClient(options, (client) => client.listTokens());
  if (options.json) return void process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
  if (tokens.length === 0) return void process.stdout.write(pc.dim("no tokens yet — make one with: spire token create --scope read\n"));
  process.stdout.write(
    table(
      ["ID", "NAME", "SCOPE", "CREATED", "EXPIRES", "STATE"],
      tokens.map((t) => [
        t.id,
        t.name,
        t.scope,
        clock(t.created_at),
        t.expires_at ? clock(t.expires_at) : "never",
        t.revoked_at ? pc.red("revoked") : t.expires_at && Date.parse(t.expires_at) < Date.now() ? pc.yellow("expired") : pc.green("active"),
      ]),
    ),
  );
}

export async function tokenRevokeCommand(id: string, options: Options): Promise<void> {
  await withClient(options, (client) => client.revokeToken(id));
  process.stdout.write(`${pc.green("✓")} token ${id} revoked\n`);
}

export async function auditCommand(options: Options & { limit: string }): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(`--limit must be a whole number from 1 to 1000, got ${JSON.stringify(options.limit)}`, EXIT.usage);
  const entries = await withClient(options, (client) => client.listAudit({ limit }));
  if (options.json) return void process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  if (entries.length === 0) return void process.stdout.write(pc.dim("nothing recorded yet\n"));
  process.stdout.write(table(["WHEN", "WHO", "WHAT", "TARGET", "DETAILS"], entries.map((e) => [clock(e.ts), e.actor, e.action, e.target, JSON.stringify(e.details)])));
}

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
