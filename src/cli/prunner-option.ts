/**
 * `spire engine --prunner ADDRESS`: where prunner's API listens and the
 * secret its tokens are signed with, checked before the engine starts.
 */
import type { Logger } from "pino";
import type { EngineService } from "../engine/service.js";
import { loadPrunnerSecret, PrunnerSecretError } from "../api/prunner/secret.js";
import { startPrunnerServer, type PrunnerServer } from "../api/prunner/server.js";
import { CliError, EXIT } from "./errors.js";

export interface PrunnerPlan {
  address: string;
  host: string;
  port: number;
  key: Uint8Array;
  from: string;
}

export async function planPrunnerApi(address: string, listen: { host: string; port: number }, dataDir: string): Promise<PrunnerPlan> {
  try {
    const { key, from } = await loadPrunnerSecret(dataDir);
    return { address, ...listen, key, from };
  } catch (error) {
    if (error instanceof PrunnerSecretError) throw new CliError(error.message, EXIT.usage, "The engine did not start.");
    throw error;
  }
}

export async function startPrunnerApi(plan: PrunnerPlan, service: EngineService, logger: Logger): Promise<PrunnerServer> {
  try {
    const server = await startPrunnerServer({ service, key: plan.key, host: plan.host, port: plan.port, logger });
    // Where the secret is, never the secret.
    logger.info({ url: server.url, secret: plan.from }, `prunner API listening on ${server.url}`);
    return server;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE" && code !== "EADDRNOTAVAIL" && code !== "EACCES") throw error;
    throw new CliError(
      code === "EADDRINUSE" ? `--prunner ${plan.address} is already in use` : `cannot listen on --prunner ${plan.address} (${code})`,
      EXIT.usage,
      code === "EADDRINUSE" ? "Is prunner itself still running there? Stop it, or choose another address with --prunner HOST:PORT." : "Choose another address with --prunner HOST:PORT.",
    );
  }
}
