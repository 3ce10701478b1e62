/**
 * The options of `spire worker`, checked: by the worker itself, and by
 * `spire service install --worker` before it writes anything, so that a
 * worker's service never starts only to refuse its own options.
 */
import { resolve } from "node:path";
import { CliError, EXIT } from "./errors.js";
import { dataDir as defaultDataDir } from "./data-dir.js";

export interface WorkerOptions {
  engine?: string;
  token?: string;
  labels?: string;
  name?: string;
  cpus?: string;
  memory?: string;
  tasks?: string;
  data?: string;
  workdir?: string;
  allowInsecure?: boolean;
}

const LABEL = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/;

/** The engine's URL; plain http only to this machine or when the user said the network is private. */
export function engineUrlOf(options: Pick<WorkerOptions, "engine" | "allowInsecure">): string {
  const given = options.engine ?? process.env.SPIRE_ENGINE;
  if (!given) throw new CliError("a worker needs its engine: --engine URL, or SPIRE_ENGINE", EXIT.usage, "For example: --engine https://laptop.tail1234.ts.net:7431 --token T (or SPIRE_ENGINE and SPIRE_TOKEN)");
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new CliError(`--engine ${JSON.stringify(given)} is not a URL`, EXIT.usage, "For example: --engine https://192.168.1.10:7431");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`--engine ${JSON.stringify(given)}: only http:// and https:// engines exist`, EXIT.usage, "For example: --engine https://192.168.1.10:7431");
  if (url.protocol === "http:" && !isLoopback(url.hostname) && !options.allowInsecure) {
    throw new CliError(
      `--engine ${given}: plain http to another machine would carry this worker's token and its tasks' secrets in clear`,
      EXIT.usage,
      "Serve the engine over https (spire engine --tls-cert … --tls-key …), or, on a network that is already private and encrypted (Tailscale, WireGuard, an SSH tunnel), add --allow-insecure",
    );
  }
  return url.origin;
}

/** The worker's token (--token, else SPIRE_TOKEN), and which of the two gave it. */
export function workerTokenOf(options: Pick<WorkerOptions, "token">): { token: string; from: "--token" | "SPIRE_TOKEN" } {
  if (options.token) return { token: options.token, from: "--token" };
  const token = process.env.SPIRE_TOKEN;
  if (!token) throw new CliError("a worker needs a token: --token T, or SPIRE_TOKEN", EXIT.usage, "On the engine's machine: spire token create --scope worker --name MY-WORKER");
  return { token, from: "SPIRE_TOKEN" };
}

export function checkWorkerName(name: string): string {
  if (!LABEL.test(name) || /^\.+$/.test(name)) throw new CliError(`--name ${JSON.stringify(name)}: a worker's name is 1–64 of A–Z a–z 0–9 . _ - (not starting with -, not only dots)`, EXIT.usage, "For example: --name gpu-box");
  return name;
}

/** --labels a,b as a list without repeats. */
export function workerLabelsOf(given: string | undefined): string[] {
  const labels = (given ?? "").split(",").map((label) => label.trim()).filter((label) => label !== "");
  if (labels.includes("local")) throw new CliError("--labels: local names the engine's own machine, not a worker", EXIT.usage, "Give this machine labels of its own, for example: --labels gpu,linux");
  for (const label of labels) if (!LABEL.test(label)) throw new CliError(`--labels: ${JSON.stringify(label)} is not a label (1–64 of A–Z a–z 0–9 . _ -, not starting with -)`, EXIT.usage, "For example: --labels gpu,linux");
  return [...new Set(labels)];
}

/** --tasks, or by default one per whole cpu the worker offers. */
export function workerTasksOf(given: string | undefined, cpus: number): number {
  const tasks = given === undefined ? Math.max(1, Math.floor(cpus)) : Number(given);
  if (!Number.isInteger(tasks) || tasks < 1) throw new CliError(`--tasks must be a whole number of at least 1, got ${JSON.stringify(given)}`, EXIT.usage, "For example: --tasks 4");
  return tasks;
}

/** The worker's own folder (its supervisor, logs, outputs): --data, else worker/ in the usual data folder. */
export function workerDataDir(given: string | undefined): string {
  return given !== undefined ? resolve(given) : resolve(defaultDataDir(), "worker");
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}
