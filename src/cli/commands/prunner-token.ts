/**
 * `spire token prunner`: a JWT for prunner's API, as prunner's `debug`
 * command prints one. Made here from the secret (no engine needed), so it is
 * not recorded and cannot be revoked: give it a --ttl, or change the secret.
 */
import { loadPrunnerSecret, PrunnerSecretError } from "../../api/prunner/secret.js";
import { signPrunnerToken } from "../../api/prunner/auth.js";
import { parseDurationMs } from "../../definitions/units.js";
import { CliError, EXIT } from "../errors.js";
import { dataDir } from "../data-dir.js";

export async function prunnerTokenCommand(options: { data?: string; sub?: string; ttl?: string }): Promise<void> {
  let ttlSeconds: number | undefined;
  if (options.ttl !== undefined) {
    const ms = parseDurationMs(options.ttl);
    if (ms === undefined || ms < 1000) throw new CliError(`--ttl ${JSON.stringify(options.ttl)} is not a duration of at least 1s`, EXIT.usage, "For example: --ttl 1h");
    ttlSeconds = Math.round(ms / 1000);
  }
  if (options.sub !== undefined && options.sub.trim() === "") throw new CliError("--sub is empty", EXIT.usage, "Name the user, e.g. --sub jane, or leave --sub out.");
  let key: Uint8Array;
  try {
    key = (await loadPrunnerSecret(dataDir(options.data))).key;
  } catch (error) {
    if (error instanceof PrunnerSecretError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const token = await signPrunnerToken(key, { ...(options.sub === undefined ? {} : { sub: options.sub }), ...(ttlSeconds === undefined ? {} : { ttlSeconds }) });
  process.stdout.write(`${token}\n`);
}
