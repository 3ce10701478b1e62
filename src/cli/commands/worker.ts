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
import { leaveHungUpTerminal, processLogger } from "../process-logger.js";
import { parseResourceFlags } from "../resource-options.js";
import { CliError, EXIT } from "../errors.js";
import { ensureDataDir } from "../data-dir.js";
import { checkWorkerName, engineUrlOf, workerDataDir, workerLabelsOf, workerTasksOf, workerTokenOf, type WorkerOptions } from "../worker-options.js";
import { connectSupervisor } from "../engine-start.js";
import { EngineLink, EngineRefused, EngineUntrusted } from "../../worker/engine-link.js";
import { WorkerAgent } from "../../worker/agent.js";
import { ConnectionRecorder } from "../../worker/connection-record.js";
import { VERSION } from "../../version.js";

export async function workerCommand(options: WorkerOptions): Promise<void> {
  const engineUrl = engineUrlOf(options);
  const { token } = workerTokenOf(options);
  const name = checkWorkerName(options.name ?? hostname());
  const labels = workerLabelsOf(options.labels);
  const resources = parseResourceFlags({ ...(options.cpus !== undefined ? { cpus: options.cpus } : {}), ...(options.memory !== undefined ? { memory: options.memory } : {}) });
  const tasks = workerTasksOf(options.tasks, resources.cpus);
  const data = workerDataDir(options.data);
  ensureDataDir(data);
  const workDir = resolve(options.workdir ?? process.cwd());

  const logger = await processLogger();
  const supervisor = await connectSupervisor(data, logger);
  const agent = new WorkerAgent({
    link: new EngineLink(engineUrl, token),
    supervisor,
    logger,
    registration: {
      name,
      labels,
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
    connection: new ConnectionRecorder(data, { engine: engineUrl, name }),
  });
  let hungUp = false;
  const stop = (signal: string) => {
    logger.info({ signal }, "worker stopping: its tasks go on, and a worker started again with the same --data takes them up");
    agent.stop();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  // Its terminal was closed: a clean stop too (see the engine's).
  process.once("SIGHUP", () => ((hungUp = true), stop("SIGHUP")));
  logger.info({ engine: engineUrl, name, labels, tasks, data }, "worker starting");
  try {
    await agent.run();
  } catch (error) {
    if (error instanceof EngineRefused && (error.status === 401 || error.status === 403)) {
      throw new CliError(`the engine refused this worker: ${error.message}`, EXIT.unreachable, "Make a worker token on the engine's machine: spire token create --scope worker --name " + name);
    }
    // The registration itself (its name, its labels): the engine's message says what to change.
    if (error instanceof EngineRefused) throw new CliError(`the engine refused this worker: ${error.message}`, EXIT.usage);
    if (error instanceof EngineUntrusted) throw new CliError(error.message, EXIT.unreachable, error.problem.hint);
    throw error;
  } finally {
    // Tasks still running go on under the supervisor (a worker started again takes them up); an idle supervisor is stopped.
    const running = await supervisor.list().then((attempts) => attempts.some((attempt) => attempt.state === "running"), () => true);
    if (running) await supervisor.disconnect();
    else await supervisor.shutdown("the worker stopped");
  }
  if (hungUp) leaveHungUpTerminal();
  process.exit(EXIT.ok);
}
