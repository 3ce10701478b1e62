/**
 * The environment of one task attempt (SPEC §3). Order, later wins: the
 * engine's own environment < env files < the planned env (pipeline < groups <
 * task, templates rendered) < secrets < SPIRE_* variables.
 */
import { argEnvName, type ArgValue } from "../../definitions/args.js";

export interface TaskEnvInput {
  base: Record<string, string | undefined>;
  envFiles: Record<string, string>;
  planned: Record<string, string>;
  secrets: Record<string, string>;
  runId: string;
  namespace: string;
  pipeline: string;
  taskPath: string;
  attempt: number;
  /** SPIRE_SEED: the run's. */
  seed: number;
  arrayIndex: number | undefined;
  matrix: Record<string, string | number | boolean> | undefined;
  scheduledAt: string;
  trigger: string;
  args: Record<string, ArgValue>;
  outputFile: string;
  artifactsDir: string;
  /** The name of the machine it runs on (SPIRE_WORKER). */
  worker?: string;
}

/**
 * The engine's own credentials are not the tasks' business: a task that needs
 * a token gets one through `secrets:` or `env_file`, where it is masked.
 * PRUNNER_JWT_SECRET signs tokens for prunner's API (spire engine --prunner).
 * SPIRE_STORE is the engine's database, and may hold its password.
 */
export const WITHHELD = new Set(["SPIRE_TOKEN", "SPIRE_STORE", "PRUNNER_JWT_SECRET"]);

export function buildTaskEnv(input: TaskEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.base)) if (value !== undefined && !WITHHELD.has(key)) env[key] = value;
  Object.assign(env, input.envFiles, input.planned, input.secrets);
  env.SPIRE_RUN_ID = input.runId;
  env.SPIRE_NAMESPACE = input.namespace;
  env.SPIRE_PIPELINE = input.pipeline;
  env.SPIRE_TASK = input.taskPath;
  env.SPIRE_ATTEMPT = String(input.attempt);
  env.SPIRE_SEED = String(input.seed);
  env.SPIRE_SCHEDULED_AT = input.scheduledAt;
  env.SPIRE_TRIGGER = input.trigger;
  env.SPIRE_OUTPUT = input.outputFile;
  env.SPIRE_ARTIFACTS = input.artifactsDir;
  if (input.worker !== undefined) env.SPIRE_WORKER = input.worker;
  if (input.arrayIndex !== undefined) env.SPIRE_ARRAY_INDEX = String(input.arrayIndex);
  for (const [key, value] of Object.entries(input.matrix ?? {})) {
    env[`SPIRE_MATRIX_${key.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`] = String(value);
  }
  for (const [name, value] of Object.entries(input.args)) env[argEnvName(name)] = String(value);
  return env;
}
