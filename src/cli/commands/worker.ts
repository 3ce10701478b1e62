/**
 * `spire worker`: this machine runs tasks for an engine on another one.
 * It talks to the engine's HTTP API only (never to its store), with a token
 * of scope `worker`; tasks run under this machine's own supervisor, in
 * `--data`, and outlive this process. A token and task secrets travel on
 * this connection, so plain http is refused unless the engine is on this
 * machine or the user says the network is private (--allow-insecure).
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import pino from "pino";
import pretty from "pino-pretty";
import { parseResourceFlags } from "../resource-options.js";
import { CliError, EXIT } from "../errors.js";
import { dataDir as defaultDataDir, ensureDataDir } from "../data-dir.js";
import { connectSupervisor } from "./engine.js";
import { EngineLink, EngineRefused, EngineUntrusted } from "../../worker/engine-link.js";
import { WorkerAgent } from "../../worker/agent.js";
import { VERSION } from "../../version.js";

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

export async function workerCommand(options: WorkerOptions): Promise<void> {
  const engineUrl = engineUrlOf(options);
  const token = options.token ?? process.env.SPIRE_TOKEN;
  if (!token) throw new CliError("a worker needs a token: --token T, or SPIRE_TOKEN", EXIT.usage, "On the engine's machine: spire token create --scope worker --name MY-WORKER");
  const name = options.name ?? hostname();
  if (!LABEL.test(name)) throw new CliError(`--name ${JSON.stringify(name)}: a worker's name is 1–64 of A–Z a–z 0–9 . _ - (not starting with -)`, EXIT.usage, "For example: --name gpu-box");
  const labels = (options.labels ?? "").split(",").map((label) => label.trim()).filter((label) => label !== "");
  if (labels.includes("local")) throw new CliError("--labels: local names the engine's own machine, not a worker", EXIT.usage, "Give this machine labels of its own, for example: --labels gpu,linux");
  for (const label of labels) if (!LABEL.test(label)) throw new CliError(`--labels: ${JSON.stringify(label)} is not a label (1–64 of A–Z a–z 0–9 . _ -, not starting with -)`, EXIT.usage, "For example: --labels gpu,linux");
  const resources = parseResourceFlags({ ...(options.cpus !== undefined ? { cpus: options.cpus } : {}), ...(options.memory !== undefined ? { memory: options.memory } : {}) });
  const tasks = options.tasks === undefined ? Math.max(1, Math.floor(resources.cpus)) : Number(options.tasks);
  if (!Number.isInteger(tasks) || tasks < 1) throw new CliError(`--tasks must be a whole number of at least 1, got ${JSON.stringify(options.tasks)}`, EXIT.usage, "For example: --tasks 4");
  const data = options.data !== undefined ? resolve(options.data) : resolve(defaultDataDir(), "worker");
  ensureDataDir(data);
  const workDir = resolve(options.workdir ?? process.cwd());

  const logger = process.stderr.isTTY ? pino({ level: "info" }, pretty({ sync: true, colorize: true, ignore: "pid,hostname", destination: 2 })) : pino({ level: "info" }, pino.destination(2));
  const supervisor = await connectSupervisor(data, logger);
  const agent = new WorkerAgent({
    link: new EngineLink(engineUrl, token),
    supervisor,
    logger,
    registration: {
      name,
      labels: [...new Set(labels)],
      tasks,
      cpus: resources.cpus,
      memory_bytes: resources.memoryBytes,
      version: VERSION,
      host: hostname(),
      data_dir: data,
      work_dir: workDir,
      node_path: process.execPath,
      // The engine sends tasks' secrets over plain http from another machine only when the user said that network is private.
      allow_insecure: options.allowInsecure === true,
    },
    withheld: ["SPIRE_TOKEN", "SPIRE_ENGINE"],
  });
  const stop = (signal: string) => {
    logger.info({ signal }, "worker stopping: its tasks go on, and a worker started again with the same --data takes them up");
    agent.stop();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  logger.info({ engine: engineUrl, name, labels, tasks, data }, "worker starting");
  try {
    await agent.run();
  } catch (error) {
    if (error instanceof EngineRefused) throw new CliError(`the engine refused this worker: ${error.message}`, EXIT.unreachable, "Make a worker token on the engine's machine: spire token create --scope worker --name " + name);
    if (error instanceof EngineUntrusted) throw new CliError(error.message, EXIT.unreachable, error.problem.hint);
    throw error;
  } finally {
    // Tasks still running go on under the supervisor (a worker started again takes them up); an idle supervisor is stopped.
    const running = await supervisor.list().then((attempts) => attempts.some((attempt) => attempt.state === "running"), () => true);
    if (running) await supervisor.disconnect();
    else await supervisor.shutdown("the worker stopped");
  }
  process.exit(EXIT.ok);
}

/** The engine's URL; plain http only to this machine or when the user said the network is private. */
function engineUrlOf(options: WorkerOptions): string {
  const given = options.engine ?? process.env.SPIRE_ENGINE;
  if (!given) throw new CliError("a worker needs its engine: --engine URL, or SPIRE_ENGINE", EXIT.usage, "For example: spire worker --engine https://laptop.tail1234.ts.net:7070 --token T");
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new CliError(`--engine ${JSON.stringify(given)} is not a URL`, EXIT.usage, "For example: --engine https://192.168.1.10:7070");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`--engine ${JSON.stringify(given)}: only http:// and https:// engines exist`, EXIT.usage, "For example: --engine https://192.168.1.10:7070");
  if (url.protocol === "http:" && !isLoopback(url.hostname) && !options.allowInsecure) {
    throw new CliError(
      `--engine ${given}: plain http to another machine would carry this worker's token and its tasks' secrets in clear`,
      EXIT.usage,
      "Serve the engine over https (spire engine --tls-cert … --tls-key …), or, on a network that is already private and encrypted (Tailscale, WireGuard, an SSH tunnel), add --allow-insecure",
    );
  }
  return url.origin;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}
