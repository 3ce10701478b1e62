/**
 * `--cpus N` and `--memory SIZE` of `spire engine` and `spire run -f`: what
 * tasks' `resources:` may reserve at once (default: this machine's cores and
 * memory).
 */
import { engineCapacity, type ResourceCapacity } from "../engine/resources/reservations.js";
import { parseSizeBytes } from "../definitions/units.js";
import { CliError, EXIT } from "./errors.js";

export interface ResourceFlags {
  cpus?: string;
  memory?: string;
}

export function parseResourceFlags(flags: ResourceFlags): ResourceCapacity {
  const cpus = flags.cpus === undefined ? undefined : Number(flags.cpus);
  if (cpus !== undefined && !(Number.isFinite(cpus) && cpus > 0)) {
    throw new CliError(`--cpus must be a number above 0, got ${JSON.stringify(flags.cpus)}`, EXIT.usage, "For example: --cpus 4 (or 0.5)");
  }
  const memoryBytes = flags.memory === undefined ? undefined : parseSizeBytes(flags.memory);
  if (memoryBytes === 0 || (flags.memory !== undefined && memoryBytes === undefined)) {
    throw new CliError(`--memory must be a size above 0, got ${JSON.stringify(flags.memory)}`, EXIT.usage, "For example: --memory 8GiB");
  }
  return engineCapacity({ ...(cpus !== undefined ? { cpus } : {}), ...(memoryBytes !== undefined ? { memoryBytes } : {}) });
}
