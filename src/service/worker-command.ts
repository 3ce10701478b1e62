/**
 * The command line a worker's service runs: this very `spire` (see
 * engine-command.ts) as `spire worker`, with the options the user gave,
 * paths made absolute. Never its token: that travels in the environment
 * (SPIRE_TOKEN), since every user can read a command line in `ps`.
 */
import type { SpireProgram } from "./engine-command.js";

/** What `spire worker` is given: checked already (worker-options.ts), paths absolute. */
export interface WorkerSettings {
  engine: string;
  data: string;
  workdir: string;
  name?: string;
  labels?: string[];
  tasks?: number;
  cpus?: string;
  memory?: string;
  allowInsecure?: boolean;
  /** More `spire worker` options, as the user gave them. */
  more?: string[];
}

export function workerArgv(program: SpireProgram, settings: WorkerSettings): string[] {
  return [
    program.node,
    ...program.nodeFlags,
    program.script,
    "worker",
    "--engine",
    settings.engine,
    "--data",
    settings.data,
    ...(settings.name !== undefined ? ["--name", settings.name] : []),
    ...(settings.labels !== undefined && settings.labels.length > 0 ? ["--labels", settings.labels.join(",")] : []),
    ...(settings.tasks !== undefined ? ["--tasks", String(settings.tasks)] : []),
    ...(settings.cpus !== undefined ? ["--cpus", settings.cpus] : []),
    ...(settings.memory !== undefined ? ["--memory", settings.memory] : []),
    "--workdir",
    settings.workdir,
    ...(settings.allowInsecure ? ["--allow-insecure"] : []),
    ...(settings.more ?? []),
  ];
}

/**
 * How long the service manager waits for a worker to stop before it kills
 * it. A worker does not drain (its tasks go on under its supervisor): it
 * only closes its link and lets go of the supervisor.
 */
export const WORKER_STOP_TIMEOUT_SECONDS = 30;
